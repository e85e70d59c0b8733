using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Elevation;
using EnvForge.Api.Organizations;
using EnvForge.Api.Secrets;
using EnvForge.Api.Workspaces;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Gateway;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Testing;

namespace EnvForge.Tests.Local;

/// <summary>
/// The whole story on one machine, as ops/demo.sh tells it, with the API, its gateway, real PostgreSQL and the real Docker
/// engine; only the Temporal server is missing, so the test runs the activities itself in the order the workflows do
/// (the replay tests prove that order): register an org, set its secrets, create a workspace from the sample app's
/// repository (envforge.yml read at the commit), provision it, wake it, open a dev link and use the app's web page,
/// /api, assets and WebSocket through the gateway while blocked paths are refused, get root approved, use sudo, revoke
/// it, and sleep. Then no secret value is found in any event, document, log line or container label.
/// </summary>
public sealed class LocalScenarioTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Greeting = "greeting-5c1e2f-scenario-secret";
    private const string AdminToken = "admin-token-0b9d77-scenario-secret";
    private const string Owner = "alice";
    private const string Approver = "bob";
    private static readonly ActivityEnvironment Env = new();
    private static readonly string[] AllSurfaces = ["Web", "Api", "Assets", "WebSockets"];

    private LocalMachine _machine = null!;
    private LocalApiHost _api = null!;
    private readonly List<string> _answers = [];

    public async ValueTask InitializeAsync()
    {
        _machine = await LocalMachine.StartAsync();
        _api = LocalApiHost.Start(await postgres.CreateDatabaseAsync(nameof(LocalScenarioTests)));
    }

    private async Task<T> OkAsync<T>(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        _answers.Add(text);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return System.Text.Json.JsonSerializer.Deserialize<T>(text, Http.Json)!;
    }

    [Fact]
    public async Task A_workspace_from_envforge_yml_runs_on_its_orgs_host_serves_a_dev_link_and_takes_root_on_and_off()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = _api.As(Owner);

        // Register the org (nothing to connect on this machine), an approver, and the two secrets the sample app declares.
        var org = (await OkAsync<OrganizationResponse>(await alice.PostJsonAsync("/orgs", new { name = "Acme" }), HttpStatusCode.Created)).Id;
        await (await alice.PostJsonAsync($"/orgs/{org}/members", new { userId = Approver, role = "Admin" })).AssertStatusAsync(HttpStatusCode.Created);
        _machine.Adopt(org);
        await OkAsync<SecretVersionResponse>(await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/sample/greeting", new { value = "first draft" }, ct), HttpStatusCode.OK);
        var greeting = await OkAsync<SecretVersionResponse>(
            await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/sample/greeting", new { value = Greeting }, ct), HttpStatusCode.OK);
        await OkAsync<SecretVersionResponse>(await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/sample/admin-token", new { value = AdminToken }, ct), HttpStatusCode.OK);
        Assert.Equal(new SecretVersionResponse("/envforge/sample/greeting", 2), greeting);

        // The wallet, as ops/demo.sh opens it: no Stripe here, the machine is the org's own, so the rate is 0.
        await (await alice.PostJsonAsync($"/orgs/{org}/wallet", new { currency = "EUR" })).AssertStatusAsync(HttpStatusCode.OK);
        await (await alice.PutAsJsonAsync($"/orgs/{org}/wallet/rate", new { ratePerServiceMinute = 0 }, ct)).AssertStatusAsync(HttpStatusCode.OK);

        // Create the workspace from the repository: envforge.yml is read at the branch's head, and the commit recorded.
        var (repo, commit) = _machine.SampleRepository();
        var created = await OkAsync<WorkspaceResponse>(
            await alice.PostJsonAsync($"/orgs/{org}/workspaces", new { name = "sample", repository = repo, branch = "main" }), HttpStatusCode.Accepted);
        Assert.Equal(InfrastructureProvider.Local, created.Provider);
        Assert.Equal(commit, created.Commit);
        Assert.Equal(["web", "admin"], created.Services.Select(s => s.Name));
        Assert.Equal(ServiceKind.Admin, created.Services[1].Kind);
        var input = Assert.Single(_api.Workflows.Provisioning);

        // Provisioning, in the workflow's order, by the activities the deployment registered.
        var provisioning = Assert.IsType<LocalProvisioningActivities>(_api.Services.GetRequiredService<IProvisioningActivities>());
        await Env.RunAsync(() => provisioning.StartAsync(input));
        await Env.RunAsync(() => provisioning.AssumeRoleAsync(input));
        var applied = await Env.RunAsync(() => provisioning.ApplyTerraformAsync(input));
        await Env.RunAsync(() => provisioning.VerifyAsync(input, applied));
        var ready = await OkAsync<WorkspaceResponse>(await alice.GetAsync($"/orgs/{org}/workspaces/{input.WorkspaceId}", ct), HttpStatusCode.OK);
        Assert.Equal(WorkspaceStatus.Ready, ready.Status);
        Assert.Equal((LocalNames.Host(org), LocalNames.Region), (ready.InstanceId, ready.Region));

        // Wake: the sample app is built from the checkout and both services start, each with its own secret.
        var runtime = _api.Services.GetRequiredService<RuntimeActivities>();
        var runtimeInput = new RuntimeInput(input.WorkspaceId, org, TimeSpan.FromMinutes(30));
        Assert.True(await Env.RunAsync(() => runtime.WakeAsync(runtimeInput, WakeTrigger.DevUrl)));
        var awakeLabels = await LabelsAsync(org); // the services' containers are gone after sleep: scan them now too
        var web = (await _machine.Docker.InspectAsync(LocalNames.Service(input.WorkspaceId, "web"), ct))!;
        Assert.Contains($"GREETING={Greeting}", web.Config.Env);
        Assert.DoesNotContain(web.Config.Env, e => e.Contains(AdminToken, StringComparison.Ordinal));

        // A dev link to the web service, through the gateway: page, /api, assets and the WebSocket reach the app.
        var issued = await OkAsync<IssuedDevLinkResponse>(await alice.PostJsonAsync($"/orgs/{org}/workspaces/{input.WorkspaceId}/dev-links",
            new { service = "web", surfaces = AllSurfaces, expiresInMinutes = 60 }), HttpStatusCode.Created);
        var link = issued.Link.Id;
        var token = Uri.UnescapeDataString(issued.Url[(issued.Url.IndexOf("token=", StringComparison.Ordinal) + 6)..]);
        var cookie = await SessionAsync(link, token);

        var page = await EventuallyAsync(link, "/", cookie, HttpStatusCode.OK);
        Assert.Contains("EnvForge sample app", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var api = await (await _api.GetLinkAsync(link, "/api/hello", cookie)).Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("Hello from the EnvForge sample app", (string?)api!["message"]);
        Assert.Equal(["GREETING"], api["secrets"]!.AsArray().Select(n => (string)n!));
        foreach (var (asset, type) in new[] { ("/static/app.js", "text/javascript"), ("/static/style.css", "text/css") })
        {
            using var response = await _api.GetLinkAsync(link, asset, cookie);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        }

        using (var socket = await _api.WebSocketAsync(link, "/ws", cookie))
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("hello through the gateway"), WebSocketMessageType.Text, endOfMessage: true, ct);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer, ct);
            Assert.Equal("hello through the gateway", Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        }

        // The app would answer its admin page; the gateway never lets a link reach it, nor shell, secrets or dotfiles.
        var direct = await _machine.Addresses.UpstreamAsync(new ServiceTarget(input.WorkspaceId, org, LocalNames.Host(org), LocalNames.Region, "web", 8080), ct);
        using (var http = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(direct!, "/_admin"), ct)).StatusCode);
        }

        foreach (var blocked in new[] { "/_admin", "/ssh", "/shell", "/secrets", "/.git/config", "/.env", "/_runtime/env" })
        {
            using var response = await _api.GetLinkAsync(link, blocked, cookie);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{blocked}: {(int)response.StatusCode}");
        }

        // Sent byte for byte (an HttpClient would resolve the dot segment first): a traversal trick is refused, not normalized.
        Assert.Equal(400, await _api.RawStatusAsync(link, "/static/%2e%2e/app.py", cookie));

        using (var anonymous = await _api.GetLinkAsync(link, "/api/hello", cookie: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // Root: the org allows it, alice asks, bob approves; the grant's activities put root on the host and take it off.
        await (await alice.PutAsJsonAsync($"/orgs/{org}/root-policy", ElevationPolicy(), Http.Json, ct)).AssertStatusAsync(HttpStatusCode.OK);
        var requested = await OkAsync<ElevationResponse>(await alice.PostJsonAsync($"/orgs/{org}/workspaces/{input.WorkspaceId}/elevations",
            new { mode = "WorkspaceElevation", windowMinutes = 30, reason = "install a debugger" }), HttpStatusCode.Accepted);
        await (await _api.As(Approver).PostJsonAsync($"/orgs/{org}/elevations/{requested.Id}/approve", new { })).AssertStatusAsync(HttpStatusCode.OK);
        var elevation = _api.Services.GetRequiredService<ElevationActivities>();
        var grant = Assert.Single(_api.Elevations.Elevations);
        Assert.False(await _machine.DevHasRootAsync(org));

        var activated = await Env.RunAsync(() => elevation.ActivateAsync(grant));

        Assert.Equal(ElevationStatus.Active, activated.Status);
        Assert.True(await _machine.DevHasRootAsync(org), "sudo works during the window");
        await (await alice.PostJsonAsync($"/orgs/{org}/elevations/{requested.Id}/revoke", new { reason = "debugger installed" })).AssertStatusAsync(HttpStatusCode.OK);
        await Env.RunAsync(() => elevation.CloseOutAsync(grant, null));
        Assert.False(await _machine.DevHasRootAsync(org), "sudo is gone after the revoke's closeout");

        // Sleep: the services go, the host stays.
        await Env.RunAsync(() => runtime.SleepAsync(runtimeInput, "requested by alice"));
        Assert.Null(await _machine.Docker.InspectAsync(LocalNames.Service(input.WorkspaceId, "web"), ct));
        Assert.NotNull(await _machine.Docker.InspectAsync(LocalNames.Host(org), ct));

        await AssertNoSecretValueAnywhereAsync(org, awakeLabels);
    }

    [Fact]
    public async Task A_manifest_with_errors_is_refused_with_each_error_located_and_nothing_is_recorded()
    {
        var alice = _api.As(Owner);
        var org = (await OkAsync<OrganizationResponse>(await alice.PostJsonAsync("/orgs", new { name = "Acme" }), HttpStatusCode.Created)).Id;
        var (repo, commit) = _machine.SampleRepository(dir => File.WriteAllText(Path.Combine(dir, EnvForgeManifest.FileName), """
            services:
              web:
                build: .
                port: 80800
                secrets:
                  GREETING: hello-inline-value
            """));
        var before = await EventCountAsync();

        var response = await alice.PostJsonAsync($"/orgs/{org}/workspaces", new { name = "sample", repository = repo, branch = "main" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "workspace.manifest_invalid");
        Assert.Equal(commit, (string?)problem["commit"]);
        var errors = problem["errors"]!.AsArray().Select(e => ((string)e!["field"]!, (int)e["line"]!, (int)e["column"]!, (string)e["file"]!)).ToList();
        Assert.Equal([("services.web.port", 4, 11, "envforge.yml"), ("services.web.secrets.GREETING", 6, 17, "envforge.yml")], errors);
        Assert.DoesNotContain("hello-inline-value", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(before, await EventCountAsync());

        var missing = await alice.PostJsonAsync($"/orgs/{org}/workspaces", new { name = "sample", repository = repo, branch = "release" });
        await missing.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "workspace.branch_not_found");
        Assert.Equal(before, await EventCountAsync());
    }

    [Fact]
    public async Task Health_says_the_provider_and_secrets_are_write_only_for_owners_and_admins()
    {
        var health = await OkAsync<JsonObject>(await _api.As(Owner).GetAsync("/health"), HttpStatusCode.OK);
        Assert.Equal("Local", (string?)health["provider"]);

        var alice = _api.As(Owner);
        var org = (await OkAsync<OrganizationResponse>(await alice.PostJsonAsync("/orgs", new { name = "Acme" }), HttpStatusCode.Created)).Id;
        await (await alice.PostJsonAsync($"/orgs/{org}/members", new { userId = "dave", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
        _machine.Adopt(org);
        var before = await EventCountAsync();

        await (await _api.As("dave").PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "dave-writes-this" }))
            .AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await _api.As("mallory").PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "mallory-writes-this" }))
            .AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "" })).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "v", extra = 1 })).AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(before, await EventCountAsync());

        var set = await OkAsync<JsonObject>(await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "s3cr3t-db-password" }), HttpStatusCode.OK);
        Assert.Equal(["path", "version"], set.Select(p => p.Key));
        var listed = await OkAsync<JsonArray>(await _api.As("dave").GetAsync($"/orgs/{org}/secrets"), HttpStatusCode.OK);
        Assert.Equal("/envforge/acme/db", (string?)listed[0]!["path"]);
        Assert.DoesNotContain("s3cr3t", listed.ToJsonString(), StringComparison.Ordinal);
        await using var session = _api.Store.QuerySession();
        var stored = await session.AdvancedSql.QueryAsync<string>("select data::text from envforge.mt_events where type = 'organization.secret_set.v1'", CancellationToken.None);
        Assert.Single(stored);
        Assert.DoesNotContain("s3cr3t", stored[0], StringComparison.Ordinal);
        Assert.Contains("/envforge/acme/db", stored[0], StringComparison.Ordinal);
    }

    private static object ElevationPolicy() => new
    {
        mode = "WorkspaceElevation",
        maximumWindowMinutes = 60,
        approvalsRequired = 1,
        pendingDeadlineMinutes = 60,
        ticketReferenceRequired = false,
    };

    private async Task<long> EventCountAsync()
    {
        await using var session = _api.Store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    private async Task<string> SessionAsync(Guid link, string token)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await _api.GetLinkAsync(link, "/__envforge/open?token=" + Uri.EscapeDataString(token), cookie: null);
            if (response.StatusCode == HttpStatusCode.SeeOther)
            {
                return GatewayHost.SessionCookie(response)!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the link never opened: {(int)response.StatusCode}");
            await Task.Delay(50);
        }
    }

    /// <summary>The directory feed is a poll behind the wake: ask until the app answers.</summary>
    private async Task<HttpResponseMessage> EventuallyAsync(Guid link, string path, string cookie, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await _api.GetLinkAsync(link, path, cookie);
            if (response.StatusCode == status)
            {
                return response;
            }

            Assert.True(DateTime.UtcNow < deadline, $"expected {(int)status}, still {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            response.Dispose();
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Every stored event and document, every log line the API wrote (at every level), every answer it gave, and every
    /// label of every container and image EnvForge made for the org: none holds a secret value. The secrets did reach
    /// their service (its environment), so the scan looks where they could have leaked, not where they never went.
    /// </summary>
    /// <summary>Every label and image name of every container EnvForge runs for the org.</summary>
    private async Task<List<string>> LabelsAsync(Guid org)
    {
        var containers = await _machine.Docker.ListAsync(new Dictionary<string, string> { [LocalNames.OrgLabel] = org.ToString() }, CancellationToken.None);
        Assert.NotEmpty(containers);
        return [.. containers.SelectMany(c => c.Labels.Select(l => $"{c.Names[0]} {l.Key}={l.Value}")), .. containers.Select(c => c.Image)];
    }

    private async Task AssertNoSecretValueAnywhereAsync(Guid org, List<string> awakeLabels)
    {
        var corpus = new List<string>();
        await using (var session = _api.Store.QuerySession())
        {
            corpus.AddRange(await session.AdvancedSql.QueryAsync<string>(
                "select data::text || coalesce(headers::text, '') from envforge.mt_events", CancellationToken.None));
            var tables = await session.AdvancedSql.QueryAsync<string>(
                "select table_name from information_schema.tables where table_schema = 'envforge' and table_name like 'mt_doc_%'", CancellationToken.None);
            foreach (var table in tables)
            {
                corpus.AddRange(await session.AdvancedSql.QueryAsync<string>($"select data::text from envforge.{table}", CancellationToken.None));
            }
        }

        Assert.True(corpus.Count > 20, "the scan reads the stored events and documents");
        Assert.Contains(corpus, c => c.Contains("organization.secret_set.v1", StringComparison.Ordinal) || c.Contains("/envforge/sample/greeting", StringComparison.Ordinal));
        var logs = _api.Logs.Lines.ToList();
        Assert.NotEmpty(logs);
        corpus.AddRange(logs);
        corpus.AddRange(_answers);
        Assert.Contains(awakeLabels, l => l.Contains($"{LocalNames.ServiceLabel}=web", StringComparison.Ordinal));
        corpus.AddRange(awakeLabels);
        corpus.AddRange(await LabelsAsync(org));
        var secretFiles = Directory.EnumerateFiles(_api.Services.GetRequiredService<LocalPaths>().Root, "*.secret", SearchOption.AllDirectories).ToList();
        Assert.Equal(2, secretFiles.Count);
        corpus.AddRange(secretFiles.Select(File.ReadAllText));

        foreach (var value in new[] { Greeting, AdminToken, "first draft" })
        {
            Assert.DoesNotContain(corpus, text => text.Contains(value, StringComparison.Ordinal));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }
    }
}
