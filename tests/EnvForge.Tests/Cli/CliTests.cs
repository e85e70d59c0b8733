using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Sessions;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Auth;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Cli;

/// <summary>The real <c>envforge</c> executable against the running API (Kestrel, loopback): text and --json, exit codes, errors.</summary>
public sealed class CliTests(PostgresServer postgres) : AuthTestBase(postgres)
{
    /// <summary>Signs the owner in with <c>envforge login</c>, approving in the browser (one-time password replaced).</summary>
    private async Task<CliRunner> OwnerCliAsync()
    {
        var cli = new CliRunner(Host.BaseAddress);
        var login = await cli.LoginAsync(url => ApproveAsync(url, "admin", Host.InitialOwnerPassword(), NewOwnerPassword));
        Assert.True(login.ExitCode == 0, login.All);
        return cli;
    }

    private async Task ApproveAsync(string url, string user, string password, string? newPassword = null)
    {
        using var browser = Host.Browser();
        await Browser.AssertOkAsync(await browser.ApproveDeviceAsync(url, user, password, newPassword));
    }

    private static JsonNode Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.All);
        return JsonNode.Parse(run.Stdout)!;
    }

    [Fact]
    public async Task Login_whoami_and_token_with_credentials_kept_mode_0600()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "file modes are POSIX");
        using var cli = await OwnerCliAsync();

#pragma warning disable CA1416 // skipped on Windows above
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.CredentialsFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.ConfigDirectory));
#pragma warning restore CA1416
        var stored = JsonNode.Parse(await File.ReadAllTextAsync(cli.CredentialsFile))!;
        var access = (string)stored["accessToken"]!;
        var refresh = (string)stored["refreshToken"]!;

        var whoami = await cli.RunAsync("whoami");
        Assert.Equal(0, whoami.ExitCode);
        Assert.Contains("admin", whoami.Stdout, StringComparison.Ordinal);
        Assert.Contains(Host.BaseAddress.AbsoluteUri.TrimEnd('/'), whoami.Stdout, StringComparison.Ordinal);
        var json = Json(await cli.RunAsync("whoami", "--json"));
        Assert.Equal("admin", (string)json["subject"]!);
        Assert.NotNull(json["sessionId"]);

        var token = await cli.RunAsync("token");
        Assert.Equal(access, token.Stdout.Trim()); // printed only when asked
        foreach (var run in new[] { whoami, await cli.RunAsync("whoami", "--json"), await cli.RunAsync("sessions", "list") })
        {
            Assert.DoesNotContain(access, run.All, StringComparison.Ordinal);
            Assert.DoesNotContain(refresh, run.All, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_silently_and_the_rotated_refresh_token_kept()
    {
        using var cli = await OwnerCliAsync();
        var stored = JsonNode.Parse(await File.ReadAllTextAsync(cli.CredentialsFile))!.AsObject();
        var before = (string)stored["refreshToken"]!;
        stored["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-1);
        await File.WriteAllTextAsync(cli.CredentialsFile, stored.ToJsonString());

        Assert.Equal("admin", (string)Json(await cli.RunAsync("whoami", "--json"))["subject"]!);
        Assert.Equal("admin", (string)Json(await cli.RunAsync("whoami", "--json"))["subject"]!);

        var after = JsonNode.Parse(await File.ReadAllTextAsync(cli.CredentialsFile))!;
        Assert.NotEqual(before, (string)after["refreshToken"]!);
        await using var query = Host.Store.QuerySession();
        var session = await query.LoadAsync<Session>(Guid.Parse((string)Json(await cli.RunAsync("whoami", "--json"))["sessionId"]!));
        Assert.Equal((2, false), (session!.Generation, session.IsRevoked)); // one refresh, no reuse
    }

    [Fact]
    public async Task Errors_carry_the_problem_code_and_trace_id_and_documented_exit_codes()
    {
        using var nobody = new CliRunner(Host.BaseAddress);
        var unsigned = await nobody.RunAsync("whoami");
        Assert.Equal(3, unsigned.ExitCode);
        Assert.Contains("envforge login", unsigned.Stderr, StringComparison.Ordinal);

        using var cli = await OwnerCliAsync();
        var org = (string)Json(await cli.RunAsync("orgs", "create", "Acme", "--json"))["id"]!;

        var missing = await cli.RunAsync("workspaces", "show", Guid.NewGuid().ToString(), "--org", org);
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("code: workspace.not_found", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("trace id: ", missing.Stderr, StringComparison.Ordinal);

        var invalid = await cli.RunAsync("members", "add", "someone", "--role", "Emperor", "--org", org);
        Assert.Equal(6, invalid.ExitCode);
        Assert.Contains("code: validation", invalid.Stderr, StringComparison.Ordinal);

        var otherOrg = await cli.RunAsync("orgs", "show", "--org", Guid.NewGuid().ToString());
        Assert.Equal(5, otherOrg.ExitCode);
        Assert.Contains("organization.not_found", otherOrg.Stderr, StringComparison.Ordinal);

        var noOrg = await cli.RunAsync("workspaces", "list");
        Assert.Equal(2, noOrg.ExitCode);
        Assert.Equal(2, (await cli.RunAsync("workspaces", "frobnicate")).ExitCode);

        var json = await cli.RunAsync("workspaces", "show", Guid.NewGuid().ToString(), "--org", org, "--json");
        Assert.Equal(5, (int)JsonNode.Parse(json.Stdout)!["exitCode"]!);
    }

    [Fact]
    public async Task The_wallet_and_the_audit_trail_from_the_CLI_an_export_verifies_offline_and_a_tampered_one_exits_10()
    {
        using var cli = await OwnerCliAsync();
        var org = (string)Json(await cli.RunAsync("orgs", "create", "Acme", "--json"))["id"]!;
        var wallet = Json(await cli.RunAsync("wallet", "balance", "--org", org, "--json"));
        Assert.Equal((0L, false), ((long)wallet["balance"]!, (bool)wallet["open"]!));
        var balance = await cli.RunAsync("wallet", "balance", "--org", org);
        Assert.Contains("Covers minimum runtime", balance.Stdout, StringComparison.Ordinal);

        // The projector writes the trail behind the stream: wait until the org's registration is in it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Json(await cli.RunAsync("audit", "tail", "--org", org, "--json"))["items"] is not JsonArray { Count: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, "the audit trail never showed the org's registration");
            await Task.Delay(250);
        }

        var file = Path.Combine(cli.ConfigDirectory, "export.jsonl");
        var range = new[] { "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--to", DateTimeOffset.UtcNow.AddHours(1).ToString("O") };
        var export = await cli.RunAsync(["audit", "export", .. range, "--out", file, "--org", org]);
        Assert.True(export.ExitCode == 0, export.All);
        Assert.Contains("organization.registered", await File.ReadAllTextAsync(file), StringComparison.Ordinal);

        var verified = await cli.RunAsync("audit", "verify", file);
        Assert.True(verified.ExitCode == 0, verified.All);

        var lines = await File.ReadAllLinesAsync(file);
        var entry = Array.FindIndex(lines, l => l.Contains("organization.registered", StringComparison.Ordinal));
        lines[entry] = lines[entry].Replace("Acme", "Acne", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines);
        var tampered = await cli.RunAsync("audit", "verify", file);
        Assert.True(tampered.ExitCode == 10, tampered.All);

        Assert.Equal(2, (await cli.RunAsync("audit", "verify", Path.Combine(cli.ConfigDirectory, "missing.jsonl"))).ExitCode);
    }

    [Fact]
    public async Task The_elevation_story_a_developer_requests_an_admin_approves_from_the_CLI()
    {
        using var admin = await OwnerCliAsync();
        var org = (string)Json(await admin.RunAsync("orgs", "create", "Acme", "--json"))["id"]!;
        Assert.Equal(0, (await admin.RunAsync("orgs", "use", org)).ExitCode);
        var created = Json(await admin.RunAsync("users", "create", "dev", "--display-name", "Dev", "--json"));
        var oneTime = (string)created["oneTimePassword"]!;
        Assert.Equal(0, (await admin.RunAsync("members", "add", "dev", "--role", "Developer")).ExitCode);
        var members = await admin.RunAsync("members", "list");
        Assert.Contains("dev", members.Stdout, StringComparison.Ordinal);
        Assert.Contains("Developer", members.Stdout, StringComparison.Ordinal);

        var ownerToken = (await admin.RunAsync("token")).Stdout.Trim();
        var api = Host.Api(ownerToken);
        await (await api.PutAsJsonAsync($"/orgs/{org}/root-policy", new { mode = "WorkspaceElevation", maximumWindowMinutes = 60, approvalsRequired = 1, pendingDeadlineMinutes = 60, ticketReferenceRequired = false }))
            .AssertStatusAsync(System.Net.HttpStatusCode.OK);
        await (await api.PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = "arn:aws:iam::123456789012:role/envforge-access" })).AssertStatusAsync(System.Net.HttpStatusCode.OK);
        var workspace = await SeedWorkspaceAsync(Guid.Parse(org));

        using var dev = new CliRunner(Host.BaseAddress);
        var login = await dev.LoginAsync(url => ApproveAsync(url, "dev", oneTime, "dev-password-12"));
        Assert.True(login.ExitCode == 0, login.All);

        // Without a Temporal server the request is refused clearly, and nothing is recorded.
        var request = await dev.RunAsync("root", "request", workspace.ToString(), "--reason", "debug the kernel module", "--window", "30", "--org", org);
        Assert.True(request.ExitCode == 7, request.All);
        Assert.Contains("code: temporal_unavailable", request.Stderr, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", request.Stderr, StringComparison.Ordinal);

        // A request on its way (its workflow would be running where Temporal is), then the admin's side.
        var grant = await SeedPendingGrantAsync(Guid.Parse(org), workspace, "dev");
        var pending = await admin.RunAsync("root", "pending");
        Assert.Contains(grant.ToString(), pending.Stdout, StringComparison.Ordinal);
        Assert.Contains("debug the kernel module", pending.Stdout, StringComparison.Ordinal);
        var pendingJson = Json(await admin.RunAsync("root", "pending", "--json"));
        Assert.Contains(pendingJson as JsonArray ?? pendingJson["items"]!.AsArray(), g => (string)g!["id"]! == grant.ToString());

        var selfApprove = await dev.RunAsync("root", "approve", grant.ToString(), "--org", org);
        Assert.True(selfApprove.ExitCode is 4 or 7, selfApprove.All); // refused: a Developer approves nothing (without Temporal the 503 comes first)
        var approve = await admin.RunAsync("root", "approve", grant.ToString());
        Assert.True(approve.ExitCode == 7, approve.All);
        Assert.Contains("temporal_unavailable", approve.Stderr, StringComparison.Ordinal);
        var history = await admin.RunAsync("root", "history", "--json");
        Assert.Equal("Pending", (string)Json(history)["items"]![0]!["status"]!);
    }

    [Fact]
    public async Task Sessions_list_and_revoke_and_logout_ends_the_session_on_the_server()
    {
        using var cli = await OwnerCliAsync();
        using var laptop = new CliRunner(Host.BaseAddress);
        Assert.Equal(0, (await laptop.LoginAsync(url => ApproveAsync(url, "admin", NewOwnerPassword))).ExitCode);
        var laptopSession = (string)Json(await laptop.RunAsync("whoami", "--json"))["sessionId"]!;

        var sessions = Json(await cli.RunAsync("sessions", "list", "--json")).AsArray();
        Assert.Equal(2, sessions.Count);
        var text = await cli.RunAsync("sessions", "list");
        Assert.Contains("current", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("envforge-cli", text.Stdout, StringComparison.Ordinal);

        Assert.Equal(0, (await cli.RunAsync("sessions", "revoke", laptopSession)).ExitCode);
        var refused = await laptop.RunAsync("whoami");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("session_revoked", refused.Stderr, StringComparison.Ordinal);

        var sessionId = Guid.Parse((string)Json(await cli.RunAsync("whoami", "--json"))["sessionId"]!);
        var logout = await cli.RunAsync("logout");
        Assert.Equal(0, logout.ExitCode);
        Assert.Contains("session revoked on the server", logout.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.CredentialsFile));
        Assert.Equal(3, (await cli.RunAsync("whoami")).ExitCode);
        await using var query = Host.Store.QuerySession();
        Assert.Equal(SessionEndReason.SignedOut, (await query.LoadAsync<Session>(sessionId))!.EndReason);
    }

    private async Task<Guid> SeedWorkspaceAsync(Guid orgId)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using var session = Host.Store.LightweightSession();
        session.Events.StartStream<Workspace>(id,
            new WorkspaceCreated(id, orgId, "ws-cli", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 8080)], [], "seed", now),
            new WorkspacePlaced(id, orgId, $"i-{id.ToString("N")[..17]}", "eu-west-1", "seed", now),
            new WorkspaceReady(id, orgId, ["ec2-running", "ssm-online"], "seed", now));
        await session.SaveChangesAsync();
        return id;
    }

    private async Task<Guid> SeedPendingGrantAsync(Guid orgId, Guid workspaceId, string requester)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using var session = Host.Store.LightweightSession();
        session.Events.StartStream(id, new ElevationRequested(id, orgId, workspaceId, requester, "debug the kernel module", null, RootMode.WorkspaceElevation,
            TimeSpan.FromMinutes(30), 1, now.AddHours(1), requester, now));
        await session.SaveChangesAsync();
        return id;
    }
}
