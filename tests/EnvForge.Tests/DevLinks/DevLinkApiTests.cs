using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Gateway;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Audit;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// An org for dev-link tests: one member in each role that matters (ids prefixed with the org's name, so two orgs share
/// nobody) and one Ready workspace declaring "web" and "api", seeded on its stream (provisioning is not the subject here).
/// </summary>
internal sealed record LinkOrg(string Name, Guid Id, Guid WorkspaceId)
{
    public string Owner => $"{Name}-owner";

    public string Admin => $"{Name}-admin";

    public string Developer => $"{Name}-dev";

    public string OtherDeveloper => $"{Name}-dev2";

    public string Viewer => $"{Name}-viewer";

    public string Auditor => $"{Name}-auditor";

    public string Links => $"/orgs/{Id}/dev-links";

    public string Issue => $"/orgs/{Id}/workspaces/{WorkspaceId}/dev-links";

    public static async Task<LinkOrg> CreateAsync(ApiFactory api, string name)
    {
        var owner = api.ClientFor($"{name}-owner");
        var registered = await owner.PostJsonAsync("/orgs", new { name });
        await registered.AssertStatusAsync(HttpStatusCode.Created);
        var id = (await registered.ReadAsync<OrganizationResponse>()).Id;
        foreach (var (user, role) in new[] { ("admin", "Admin"), ("dev", "Developer"), ("dev2", "Developer"), ("viewer", "Viewer"), ("auditor", "Auditor") })
        {
            await (await owner.PostJsonAsync($"/orgs/{id}/members", new { userId = $"{name}-{user}", role })).AssertStatusAsync(HttpStatusCode.Created);
        }

        return new LinkOrg(name, id, await SeedWorkspaceAsync(api, id, $"{name}-ws"));
    }

    public static async Task<Guid> SeedWorkspaceAsync(ApiFactory api, Guid org, string name, bool destroyed = false)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        List<IWorkspaceEvent> events =
        [
            new WorkspaceCreated(id, org, name, "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000), new ServiceSpec("api", 8080)], [], "seed", now),
            // A runtime VM serves one org only: each workspace gets its own instance.
            new WorkspacePlaced(id, org, $"i-{Guid.NewGuid():N}"[..19], "us-east-1", "system", now),
            new WorkspaceReady(id, org, ["ec2"], "system", now),
        ];
        if (destroyed)
        {
            events.Add(new WorkspaceDestroyRequested(id, org, "seed", now));
            events.Add(new WorkspaceResourcesDestroyed(id, org, "all", "system", now));
        }

        await using var session = api.Store.LightweightSession();
        session.Events.StartStream<Workspace>(id, events);
        await session.SaveChangesAsync();
        return id;
    }
}

/// <summary>Request bodies for issue and surfaces.</summary>
internal static class Bodies
{
    public static object Issue(string service, params string[] surfaces) => new { service, surfaces };

    public static object Issue(string service, int expiresInMinutes, params string[] surfaces) => new { service, surfaces, expiresInMinutes };

    public static object Surfaces(params string[] surfaces) => new { surfaces };
}

/// <summary>What the store holds, read raw, for "the token is never stored" and "nothing was appended" checks.</summary>
internal static class StoredText
{
    public static async Task<long> EventCountAsync(IDocumentStore store)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    /// <summary>Every row of every table in EnvForge's schema (events, streams, documents), as text.</summary>
    public static async Task<string> EverythingAsync(IDocumentStore store)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("select table_name from information_schema.tables where table_schema = 'envforge' and table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("mt_events", tables);
        Assert.Contains("mt_doc_devlink", tables);
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new NpgsqlCommand($"select coalesce(string_agg(t::text, E'\\n'), '') from envforge.\"{table}\" t", connection);
            text.AppendLine((string)(await rows.ExecuteScalarAsync())!);
        }

        return text.ToString();
    }
}

/// <summary>
/// Records workflow starts and signals like <see cref="RecordingDevLinkWorkflows"/>, and also what the link's stream held
/// when its expiry workflow was started; it can be told to fail the start or the revoke signal.
/// </summary>
internal sealed class ProbingDevLinkWorkflows(RecordingDevLinkWorkflows inner, Func<IDocumentStore> store) : IDevLinkWorkflows
{
    public RecordingDevLinkWorkflows Recorded => inner;

    public List<long> EventsOnStreamAtStart { get; } = [];

    public bool FailStarts { get; set; }

    public bool FailSignals { get; set; }

    public string? UnavailableReason => inner.UnavailableReason;

    public async Task StartExpiryAsync(DevLinkExpiryInput input, CancellationToken ct)
    {
        await using (var session = store().QuerySession())
        {
            EventsOnStreamAtStart.Add((await session.Events.FetchStreamAsync(input.LinkId, token: ct)).Count);
        }

        if (FailStarts)
        {
            throw new InvalidOperationException("the Temporal server went away");
        }

        await inner.StartExpiryAsync(input, ct);
    }

    public Task RevokedAsync(Guid linkId, CancellationToken ct) =>
        FailSignals ? throw new InvalidOperationException("the Temporal server went away") : inner.RevokedAsync(linkId, ct);
}

/// <summary>Dev links through the HTTP API, with a recording stand-in for the Temporal server.</summary>
public sealed class DevLinkApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private const int PublicPort = 5080;
    private readonly RecordingDevLinkWorkflows _recorded = new();
    private ProbingDevLinkWorkflows? _workflows;

    private ProbingDevLinkWorkflows Workflows => _workflows!;

    protected override void ConfigureServices(IServiceCollection services)
    {
        _workflows = new ProbingDevLinkWorkflows(_recorded, () => Api.Store);
        services.Replace(ServiceDescriptor.Singleton<IDevLinkWorkflows>(_workflows));
        services.Configure<GatewayOptions>(o => o.PublicPort = PublicPort); // as published in the README: links.localhost:5080
    }

    private sealed record Issued(DevLinkResponse Link, string Url, string Token);

    private static string TokenOf(string url)
    {
        var query = new Uri(url).Query;
        Assert.StartsWith("?token=", query, StringComparison.Ordinal);
        return Uri.UnescapeDataString(query["?token=".Length..]);
    }

    private async Task<Issued> IssueAsync(LinkOrg org, string? by = null, object? body = null)
    {
        var response = await Api.ClientFor(by ?? org.Developer).PostJsonAsync(org.Issue, body ?? Bodies.Issue("web", "Web", "Api"));
        await response.AssertStatusAsync(HttpStatusCode.Created);
        var issued = await response.ReadAsync<IssuedDevLinkResponse>();
        return new Issued(issued.Link, issued.Url, TokenOf(issued.Url));
    }

    private async Task<long> VersionOfAsync(Guid linkId)
    {
        await using var session = Api.Store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(linkId))?.Version ?? 0;
    }

    private async Task<DevLink?> StoredAsync(Guid linkId)
    {
        await using var session = Api.Store.QuerySession();
        return await session.LoadAsync<DevLink>(linkId);
    }

    // --- issue ---

    [Fact]
    public async Task Issuing_answers_201_with_a_url_that_holds_the_token_once()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");

        var response = await Api.ClientFor(org.Developer).PostJsonAsync(org.Issue, Bodies.Issue("web", 90, "Api", "Web", "Api"));

        await response.AssertStatusAsync(HttpStatusCode.Created);
        var issued = await response.ReadAsync<IssuedDevLinkResponse>();
        var link = issued.Link;
        Assert.Equal($"/orgs/{org.Id}/dev-links/{link.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal((org.Id, org.WorkspaceId, "web", org.Developer, 1, false, DevLinkStatus.Active), (link.OrgId, link.WorkspaceId, link.Service, link.Issuer, link.Generation, link.Used, link.Status));
        Assert.Equal([DevLinkSurface.Web, DevLinkSurface.Api], link.Surfaces);
        Assert.Equal(TimeSpan.FromMinutes(90), link.ExpiresAt - link.IssuedAt);

        var origin = $"http://{link.Id:N}.links.localhost:{PublicPort}";
        Assert.Equal(origin, link.Origin);
        Assert.StartsWith($"{origin}/__envforge/open?token=", issued.Url, StringComparison.Ordinal);
        var token = TokenOf(issued.Url);
        Assert.StartsWith($"efl1.{link.Id:N}.1.", token, StringComparison.Ordinal);
        Assert.Equal(6, token.Split('.').Length);
    }

    [Fact]
    public async Task The_token_is_stored_nowhere_only_its_sha256_and_reads_never_return_either()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org);
        var parts = issued.Token.Split('.');
        var hash = DevLinkSigner.Hash(issued.Token);
        Assert.Equal(64, hash.Length);
        await Api.CatchUpAsync();

        var stored = await StoredText.EverythingAsync(Api.Store);
        Assert.DoesNotContain(issued.Token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(parts[4], stored, StringComparison.Ordinal); // the nonce
        Assert.DoesNotContain(parts[5], stored, StringComparison.Ordinal); // the MAC
        Assert.Equal(hash, (await StoredAsync(issued.Link.Id))!.TokenHash);
        await using (var session = Api.Store.QuerySession())
        {
            var events = string.Join("\n", await session.AdvancedSql.QueryAsync<string>("select data::text from envforge.mt_events where type = 'dev_link.issued.v1'", CancellationToken.None));
            Assert.Contains(hash, events, StringComparison.Ordinal);
        }

        foreach (var read in new[] { $"{org.Links}/{issued.Link.Id}", org.Links, $"{org.Links}?workspaceId={org.WorkspaceId}" })
        {
            var response = await Api.ClientFor(org.Viewer).GetAsync(read);
            await response.AssertStatusAsync(HttpStatusCode.OK);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains(issued.Link.Id.ToString(), body, StringComparison.Ordinal);
            Assert.DoesNotContain(parts[4], body, StringComparison.Ordinal);
            Assert.DoesNotContain(hash, body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("token", body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Issuing_starts_exactly_one_expiry_workflow_before_the_append_ending_at_issue_time_plus_expiry()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var before = DateTimeOffset.UtcNow;

        var issued = await IssueAsync(org, body: Bodies.Issue("api", 45, "Api"));

        var after = DateTimeOffset.UtcNow;
        var start = Assert.Single(_recorded.DevLinkExpiries);
        Assert.Equal(issued.Link.Id, start.LinkId);
        Assert.Equal(issued.Link.ExpiresAt.UtcDateTime, start.ExpiresAt);
        Assert.Equal(DateTimeKind.Utc, start.ExpiresAt.Kind);
        Assert.Equal(issued.Link.IssuedAt + TimeSpan.FromMinutes(45), issued.Link.ExpiresAt);
        Assert.InRange(issued.Link.IssuedAt, before, after);
        Assert.Equal([0L], Workflows.EventsOnStreamAtStart); // the timer first, then the stream
        Assert.Equal(1, await VersionOfAsync(issued.Link.Id));
    }

    [Fact]
    public async Task Without_an_expiry_the_org_default_applies_and_the_policy_maximum_is_enforced()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var defaulted = await IssueAsync(org);
        Assert.Equal(TimeSpan.FromHours(24), defaulted.Link.ExpiresAt - defaulted.Link.IssuedAt);

        await (await Api.ClientFor(org.Admin).PutAsJsonAsync($"/orgs/{org.Id}/dev-link-policy", new { defaultExpiryMinutes = 60, maximumExpiryMinutes = 120 }))
            .AssertStatusAsync(HttpStatusCode.OK);
        var shorter = await IssueAsync(org);
        Assert.Equal(TimeSpan.FromMinutes(60), shorter.Link.ExpiresAt - shorter.Link.IssuedAt);
        var longest = await IssueAsync(org, body: Bodies.Issue("web", 120, "Web"));
        Assert.Equal(TimeSpan.FromMinutes(120), longest.Link.ExpiresAt - longest.Link.IssuedAt);

        var events = await StoredText.EventCountAsync(Api.Store);
        var starts = _recorded.DevLinkExpiries.Count;
        var dev = Api.ClientFor(org.Developer);
        await (await dev.PostJsonAsync(org.Issue, Bodies.Issue("web", 121, "Web")))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.expiry_exceeds_policy");
        await (await dev.PostJsonAsync(org.Issue, Bodies.Issue("web", 4, "Web")))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.expiry_too_short");
        await (await dev.PostJsonAsync(org.Issue, Bodies.Issue("db", "Web")))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.service_not_found");
        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Equal(starts, _recorded.DevLinkExpiries.Count);
    }

    public static TheoryData<string, string> BadIssues => new()
    {
        { """{"service":"web","surfaces":["Telnet"]}""", "validation" },
        { """{"service":"web","surfaces":["web"]}""", "validation" },
        { """{"service":"web","surfaces":["1"]}""", "validation" },
        { """{"service":"web","surfaces":[1]}""", "malformed_request" },
        { """{"service":"web","surfaces":["Api,Assets"]}""", "validation" },
        { """{"service":"web","surfaces":["1,2"]}""", "validation" },
        { """{"service":"web","surfaces":["Web",null]}""", "validation" },
        { """{"service":"web","surfaces":[]}""", "validation" },
        { """{"service":"web"}""", "validation" },
        { """{"surfaces":["Web"]}""", "validation" },
        { """{"service":"","surfaces":["Web"]}""", "validation" },
        { $$"""{"service":"{{new string('w', 41)}}","surfaces":["Web"]}""", "validation" },
        { """{"service":"web","surfaces":["Web"],"expiresInMinutes":0}""", "validation" },
        { """{"service":"web","surfaces":["Web"],"expiresInMinutes":-5}""", "validation" },
        { """{"service":"web","surfaces":["Web"],"admin":true}""", "malformed_request" },
        { """{"service":"web","surfaces":"Web"}""", "malformed_request" },
        { """not json""", "malformed_request" },
    };

    [Theory]
    [MemberData(nameof(BadIssues))]
    public async Task Bad_input_is_400_problem_details_and_appends_nothing(string body, string code)
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var events = await StoredText.EventCountAsync(Api.Store);

        var response = await Api.ClientFor(org.Developer).PostRawAsync(org.Issue, body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Empty(_recorded.DevLinkExpiries);
    }

    [Fact]
    public async Task A_workspace_that_is_unknown_destroyed_or_of_another_org_is_404_and_appends_nothing()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var destroyed = await LinkOrg.SeedWorkspaceAsync(Api, org.Id, "gone", destroyed: true);
        var events = await StoredText.EventCountAsync(Api.Store);
        var dev = Api.ClientFor(org.Developer);

        foreach (var workspace in new[] { Guid.CreateVersion7(), destroyed, other.WorkspaceId })
        {
            await (await dev.PostJsonAsync($"/orgs/{org.Id}/workspaces/{workspace}/dev-links", Bodies.Issue("web", "Web")))
                .AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.workspace_not_found");
        }

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Empty(_recorded.DevLinkExpiries);
    }

    [Fact]
    public async Task Viewers_may_not_issue_and_non_members_are_told_the_org_does_not_exist()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var body = Bodies.Issue("web", "Web");

        await (await Api.ClientFor(org.Viewer).PostJsonAsync(org.Issue, body)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor(org.Auditor).PostJsonAsync(org.Issue, body)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("stranger").PostJsonAsync(org.Issue, body)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await Api.WithToken(null).PostJsonAsync(org.Issue, body)).AssertStatusAsync(HttpStatusCode.Unauthorized);
        Assert.Empty(_recorded.DevLinkExpiries);
    }

    [Fact]
    public async Task When_the_expiry_timer_cannot_be_started_nothing_is_appended()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var events = await StoredText.EventCountAsync(Api.Store);
        Workflows.FailStarts = true;

        var response = await Api.ClientFor(org.Developer).PostJsonAsync(org.Issue, Bodies.Issue("web", "Web"));

        Assert.True((int)response.StatusCode >= 500, $"expected a server error, got {(int)response.StatusCode}");
        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        var listed = await (await Api.ClientFor(org.Developer).GetAsync(org.Links)).ReadAsync<DevLinkPage>();
        Assert.Empty(listed.Items);
    }

    // --- reads ---

    [Fact]
    public async Task Links_are_listed_newest_first_per_workspace_and_paged()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var second = await LinkOrg.SeedWorkspaceAsync(Api, org.Id, "acme-ws2");
        var a = await IssueAsync(org);
        var b = await IssueAsync(org, by: org.Admin);
        var c = await IssueAsync(org, body: Bodies.Issue("web", "Web"));
        var d = (await (await Api.ClientFor(org.Developer).PostJsonAsync($"/orgs/{org.Id}/workspaces/{second}/dev-links", Bodies.Issue("api", "Api")))
            .ReadAsync<IssuedDevLinkResponse>()).Link;

        var viewer = Api.ClientFor(org.Viewer);
        var all = await (await viewer.GetAsync(org.Links)).ReadAsync<DevLinkPage>();
        Assert.Equal([d.Id, c.Link.Id, b.Link.Id, a.Link.Id], all.Items.Select(l => l.Id));

        var first = await (await viewer.GetAsync($"{org.Links}?workspaceId={org.WorkspaceId}&limit=2")).ReadAsync<DevLinkPage>();
        Assert.Equal([c.Link.Id, b.Link.Id], first.Items.Select(l => l.Id));
        var rest = await (await viewer.GetAsync($"{org.Links}?workspaceId={org.WorkspaceId}&limit=2&cursor={first.NextCursor}")).ReadAsync<DevLinkPage>();
        Assert.Equal([a.Link.Id], rest.Items.Select(l => l.Id));
        Assert.Null(rest.NextCursor);

        var one = await (await viewer.GetAsync($"{org.Links}/{b.Link.Id}")).ReadAsync<DevLinkResponse>();
        Assert.Equal(b.Link, one with { Surfaces = b.Link.Surfaces });
        Assert.Equal(b.Link.Surfaces, one.Surfaces);

        await (await viewer.GetAsync($"{org.Links}?cursor=not-a-cursor")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await Api.ClientFor(org.Auditor).GetAsync(org.Links)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await viewer.GetAsync($"{org.Links}/{Guid.CreateVersion7()}")).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
    }

    // --- cross-org ---

    [Fact]
    public async Task Every_route_answers_404_across_orgs_and_changes_nothing()
    {
        var mine = await LinkOrg.CreateAsync(Api, "acme");
        var theirs = await LinkOrg.CreateAsync(Api, "globex");
        var theirLink = await IssueAsync(theirs);
        var events = await StoredText.EventCountAsync(Api.Store);
        var owner = Api.ClientFor(mine.Owner); // an Owner, but of another org
        var surfaces = Bodies.Surfaces("Web");
        var revoke = new { reason = "not mine" };

        // Asking through their org: not a member, so their org does not exist.
        var theirLinkPath = $"{theirs.Links}/{theirLink.Link.Id}";
        foreach (var response in new[]
        {
            await owner.GetAsync($"/orgs/{theirs.Id}/dev-link-policy"),
            await owner.PutAsJsonAsync($"/orgs/{theirs.Id}/dev-link-policy", new { defaultExpiryMinutes = 60, maximumExpiryMinutes = 120 }),
            await owner.PostJsonAsync(theirs.Issue, Bodies.Issue("web", "Web")),
            await owner.GetAsync(theirs.Links),
            await owner.GetAsync(theirLinkPath),
            await owner.PostAsync($"{theirLinkPath}/rotate", null),
            await owner.PutAsJsonAsync($"{theirLinkPath}/surfaces", surfaces),
            await owner.PostJsonAsync($"{theirLinkPath}/revoke", revoke),
        })
        {
            await response.AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        }

        // Asking through my own org for their link or workspace: the same as an id that does not exist.
        var throughMine = $"{mine.Links}/{theirLink.Link.Id}";
        foreach (var response in new[]
        {
            await owner.GetAsync(throughMine),
            await owner.PostAsync($"{throughMine}/rotate", null),
            await owner.PutAsJsonAsync($"{throughMine}/surfaces", surfaces),
            await owner.PostJsonAsync($"{throughMine}/revoke", revoke),
        })
        {
            await response.AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        }

        await (await owner.PostJsonAsync($"/orgs/{mine.Id}/workspaces/{theirs.WorkspaceId}/dev-links", Bodies.Issue("web", "Web")))
            .AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.workspace_not_found");
        Assert.Empty((await (await owner.GetAsync($"{mine.Links}?workspaceId={theirs.WorkspaceId}")).ReadAsync<DevLinkPage>()).Items);
        Assert.Empty((await (await owner.GetAsync(mine.Links)).ReadAsync<DevLinkPage>()).Items);

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Empty(_recorded.DevLinkRevocations);
        Assert.Single(_recorded.DevLinkExpiries);
        var untouched = (await StoredAsync(theirLink.Link.Id))!;
        Assert.Equal((1, false, DevLinkSurface.Api), (untouched.Generation, untouched.HasEnded, untouched.Surfaces[1]));
    }

    // --- rotate, surfaces, revoke ---

    [Fact]
    public async Task Rotating_returns_a_new_url_bumps_the_generation_and_voids_the_old_hash()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org);

        var response = await Api.ClientFor(org.Developer).PostAsync($"{org.Links}/{issued.Link.Id}/rotate", null);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        var rotated = await response.ReadAsync<IssuedDevLinkResponse>();
        var token = TokenOf(rotated.Url);
        Assert.NotEqual(issued.Token, token);
        Assert.StartsWith($"efl1.{issued.Link.Id:N}.2.", token, StringComparison.Ordinal);
        Assert.Equal(2, rotated.Link.Generation);
        Assert.Equal(issued.Link.ExpiresAt, rotated.Link.ExpiresAt); // a new token, not a longer life

        var stored = (await StoredAsync(issued.Link.Id))!;
        Assert.Equal(DevLinkSigner.Hash(token), stored.TokenHash);
        Assert.NotEqual(DevLinkSigner.Hash(issued.Token), stored.TokenHash);
        Assert.DoesNotContain(token, await StoredText.EverythingAsync(Api.Store), StringComparison.Ordinal);
        var read = await (await Api.ClientFor(org.Viewer).GetAsync($"{org.Links}/{issued.Link.Id}")).ReadAsync<DevLinkResponse>();
        Assert.Equal(2, read.Generation);
        Assert.Single(_recorded.DevLinkExpiries); // the expiry is unchanged: no second timer
    }

    [Fact]
    public async Task Only_the_issuer_an_admin_or_an_owner_manages_a_link()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var path = $"{org.Links}/{link}";

        foreach (var user in new[] { org.OtherDeveloper, org.Viewer, org.Auditor })
        {
            var client = Api.ClientFor(user);
            await (await client.PostAsync($"{path}/rotate", null)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_allowed");
            await (await client.PutAsJsonAsync($"{path}/surfaces", Bodies.Surfaces("Web"))).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_allowed");
            await (await client.PostJsonAsync($"{path}/revoke", new { })).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_allowed");
        }

        Assert.Equal(1, await VersionOfAsync(link));
        Assert.Empty(_recorded.DevLinkRevocations);

        await (await Api.ClientFor(org.Admin).PostAsync($"{path}/rotate", null)).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor(org.Owner).PutAsJsonAsync($"{path}/surfaces", Bodies.Surfaces("Assets"))).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor(org.Developer).PostAsync($"{path}/rotate", null)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(4, await VersionOfAsync(link));
    }

    [Fact]
    public async Task Changing_surfaces_records_the_new_set_and_the_same_set_again_changes_nothing()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var path = $"{org.Links}/{link}/surfaces";
        var dev = Api.ClientFor(org.Developer);

        var changed = await dev.PutAsJsonAsync(path, Bodies.Surfaces("WebSockets", "Web", "Assets"));
        await changed.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", changed.Headers.ETag?.Tag);
        Assert.Equal([DevLinkSurface.Web, DevLinkSurface.Assets, DevLinkSurface.WebSockets], (await changed.ReadAsync<DevLinkResponse>()).Surfaces);

        var again = await dev.PutAsJsonAsync(path, Bodies.Surfaces("Assets", "WebSockets", "Web"));
        await again.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", again.Headers.ETag?.Tag);
        Assert.Equal(2, await VersionOfAsync(link));

        foreach (var bad in new[] { """{"surfaces":[]}""", """{"surfaces":["Telnet"]}""", """{"surfaces":["Api,Assets"]}""", """{"surfaces":["3"]}""", """{}""", """{"surfaces":["Web"],"x":1}""" })
        {
            var response = await dev.PutAsync(path, new StringContent(bad, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(2, await VersionOfAsync(link));
        Assert.Equal([DevLinkSurface.Web, DevLinkSurface.Assets, DevLinkSurface.WebSockets], (await StoredAsync(link))!.Surfaces);
    }

    [Fact]
    public async Task A_stale_if_match_is_412_and_changes_nothing()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var request = new HttpRequestMessage(HttpMethod.Put, $"{org.Links}/{link}/surfaces") { Content = JsonContent.Create(Bodies.Surfaces("Web")) };
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));

        await (await Api.ClientFor(org.Developer).SendAsync(request)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");

        Assert.Equal(1, await VersionOfAsync(link));
    }

    [Fact]
    public async Task Revoking_answers_200_signals_the_expiry_workflow_and_ends_the_link_for_good()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var path = $"{org.Links}/{link}";

        var response = await Api.ClientFor(org.Developer).PostJsonAsync($"{path}/revoke", new { reason = "shared in the wrong channel" });

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await response.ReadAsync<DevLinkResponse>();
        Assert.Equal(DevLinkStatus.Revoked, revoked.Status);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal([link], _recorded.DevLinkRevocations);
        Assert.Equal(DevLinkStatus.Revoked, (await (await Api.ClientFor(org.Viewer).GetAsync(path)).ReadAsync<DevLinkResponse>()).Status);

        // Again (by an Admin): nothing more is recorded.
        await (await Api.ClientFor(org.Admin).PostJsonAsync($"{path}/revoke", new { })).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(2, await VersionOfAsync(link));

        var dev = Api.ClientFor(org.Developer);
        await (await dev.PostAsync($"{path}/rotate", null)).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");
        await (await dev.PutAsJsonAsync($"{path}/surfaces", Bodies.Surfaces("Assets"))).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");
        Assert.Equal(2, await VersionOfAsync(link));
        await (await dev.PostJsonAsync($"{path}/revoke", new { reason = new string('x', 501) })).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task A_revoke_is_recorded_even_when_the_workflow_cannot_be_signalled()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        Workflows.FailSignals = true;

        var response = await Api.ClientFor(org.Admin).PostJsonAsync($"{org.Links}/{link}/revoke", new { });

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.True((await StoredAsync(link))!.HasEnded);
    }

    // --- policy ---

    [Fact]
    public async Task The_dev_link_policy_is_read_by_members_and_set_by_owners_and_admins()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var path = $"/orgs/{org.Id}/dev-link-policy";

        var initial = await Api.ClientFor(org.Viewer).GetAsync(path);
        await initial.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(new DevLinkPolicyResponse(24 * 60, 7 * 24 * 60), await initial.ReadAsync<DevLinkPolicyResponse>());
        await (await Api.ClientFor("stranger").GetAsync(path)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");

        var policy = new { defaultExpiryMinutes = 30, maximumExpiryMinutes = 240 };
        await (await Api.ClientFor(org.Developer).PutAsJsonAsync(path, policy)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor(org.Viewer).PutAsJsonAsync(path, policy)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("stranger").PutAsJsonAsync(path, policy)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");

        var set = await Api.ClientFor(org.Admin).PutAsJsonAsync(path, policy);
        await set.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(new DevLinkPolicyResponse(30, 240), await set.ReadAsync<DevLinkPolicyResponse>());
        Assert.Equal(new DevLinkPolicyResponse(30, 240), await (await Api.ClientFor(org.Developer).GetAsync(path)).ReadAsync<DevLinkPolicyResponse>());

        var owner = Api.ClientFor(org.Owner);
        await (await owner.PutAsJsonAsync(path, new { defaultExpiryMinutes = 30, maximumExpiryMinutes = 4 })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link_policy.maximum_out_of_range");
        await (await owner.PutAsJsonAsync(path, new { defaultExpiryMinutes = 30, maximumExpiryMinutes = (30 * 24 * 60) + 1 })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link_policy.maximum_out_of_range");
        await (await owner.PutAsJsonAsync(path, new { defaultExpiryMinutes = 300, maximumExpiryMinutes = 240 })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link_policy.default_out_of_range");
        await (await owner.PutAsJsonAsync(path, new { defaultExpiryMinutes = 30 })).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await owner.PutAsJsonAsync(path, new { defaultExpiryMinutes = 30, maximumExpiryMinutes = 240, ceiling = 1 })).AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");

        var stale = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(new { defaultExpiryMinutes = 60, maximumExpiryMinutes = 240 }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        await (await owner.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(new DevLinkPolicyResponse(30, 240), await (await owner.GetAsync(path)).ReadAsync<DevLinkPolicyResponse>());
    }

    // --- audit ---

    [Fact]
    public async Task Issue_rotate_surfaces_and_revoke_are_on_the_audit_trail_without_the_token()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org);
        var path = $"{org.Links}/{issued.Link.Id}";
        var dev = Api.ClientFor(org.Developer);
        var rotated = TokenOf((await (await dev.PostAsync($"{path}/rotate", null)).ReadAsync<IssuedDevLinkResponse>()).Url);
        await (await dev.PutAsJsonAsync($"{path}/surfaces", Bodies.Surfaces("Web"))).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor(org.Admin).PostJsonAsync($"{path}/revoke", new { reason = "demo over" })).AssertStatusAsync(HttpStatusCode.OK);
        await Api.CatchUpAsync();

        var response = await Api.ClientFor(org.Auditor).GetAsync($"/orgs/{org.Id}/audit?streamId={issued.Link.Id}");

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync();
        var trail = await response.ReadAsync<Page<AuditEntry>>();
        Assert.Equal(["dev_link.issued", "dev_link.rotated", "dev_link.surfaces_changed", "dev_link.revoked"], trail.Items.Select(e => e.Action));
        Assert.Equal([org.Developer, org.Developer, org.Developer, org.Admin], trail.Items.Select(e => e.Actor));
        Assert.All(trail.Items, e => Assert.Equal(org.Id, e.OrgId));
        Assert.Equal("revoked the dev link: demo over", trail.Items[3].Summary);
        foreach (var secret in new[] { issued.Token, rotated, issued.Token.Split('.')[4], rotated.Split('.')[4], DevLinkSigner.Hash(issued.Token), DevLinkSigner.Hash(rotated) })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }

        var stored = await StoredText.EverythingAsync(Api.Store);
        Assert.DoesNotContain(issued.Token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated, stored, StringComparison.Ordinal);
    }
}

/// <summary>The same API with no Temporal server (the default here): issuing is 503 and appends nothing; revoking still works.</summary>
public sealed class DevLinkWithoutTemporalTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    [Fact]
    public async Task Issuing_without_a_Temporal_server_is_503_and_appends_nothing()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var events = await StoredText.EventCountAsync(Api.Store);

        var response = await Api.ClientFor(org.Developer).PostJsonAsync(org.Issue, Bodies.Issue("web", "Web"));

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "temporal_unavailable");
        Assert.Contains("Temporal", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.DoesNotContain("efl1", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        await using var session = Api.Store.QuerySession();
        Assert.Equal(0, await session.Query<DevLink>().CountAsync());
    }

    [Fact]
    public async Task Revoking_without_a_Temporal_server_is_still_recorded()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = Guid.CreateVersion7();
        await using (var session = Api.Store.LightweightSession())
        {
            session.Events.StartStream<DevLink>(link, new DevLinkIssued(
                link, org.Id, org.WorkspaceId, "web", org.Developer, DateTimeOffset.UtcNow.AddHours(1), [DevLinkSurface.Web], "l1", new string('A', 64),
                org.Developer, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        var response = await Api.ClientFor(org.Developer).PostJsonAsync($"{org.Links}/{link}/revoke", new { });

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(DevLinkStatus.Revoked, (await response.ReadAsync<DevLinkResponse>()).Status);
    }
}
