using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// The dev-link gateway end to end: links issued through the API on real PostgreSQL, the gateway on Kestrel, a real
/// upstream behind it. Every request of a test carries a probe header, so "never forwarded" is checked at the upstream.
/// </summary>
public sealed class GatewayTests(PostgresServer postgres, GatewayTests.Fixture fixture) : IClassFixture<GatewayTests.Fixture>, IAsyncLifetime
{
    private static readonly string[] AllSurfaces = ["Web", "Api", "Assets", "WebSockets"];

    /// <summary>
    /// One database, one API with its gateway, one upstream for the whole class (tests tell their requests apart by probe):
    /// an org with a developer, an awake and a sleeping workspace, and another org with an awake workspace.
    /// </summary>
    public sealed class Fixture : GatewayFixture
    {
        public Guid Org { get; private set; }

        public Guid Awake { get; private set; }

        public Guid Asleep { get; private set; }

        public Guid OtherOrg { get; private set; }

        public Guid OtherOrgWorkspace { get; private set; }

        /// <summary>A link with all four surfaces, opened, for tests that only read through it.</summary>
        public (IssuedLink Link, string Cookie) Shared { get; private set; }

        protected override async Task SeedAsync(GatewayHost host)
        {
            Org = await host.OrgAsync("alice");
            await (await host.ApiAs("alice").PostJsonAsync($"/orgs/{Org}/members", new { userId = "dev", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
            Awake = await host.WorkspaceAsync(Org);
            Asleep = await host.WorkspaceAsync(Org, awake: false);
            OtherOrg = await host.OrgAsync("bob");
            OtherOrgWorkspace = await host.WorkspaceAsync(OtherOrg);
            var link = await host.IssueAsync("dev", Org, Awake, AllSurfaces);
            Shared = (link, await host.SessionAsync(link));
        }
    }

    private GatewayHost Host => fixture.Host ?? throw new InvalidOperationException("not initialized");

    private static string Probe() => Guid.NewGuid().ToString("N");

    public ValueTask InitializeAsync() => new(fixture.EnsureStartedAsync(postgres));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A link to the awake workspace's web service, opened: its session cookie, once a request goes through.</summary>
    private async Task<(IssuedLink Link, string Cookie)> OpenedAsync(string[] surfaces, Guid? workspace = null)
    {
        var link = await Host.IssueAsync("dev", fixture.Org, workspace ?? fixture.Awake, surfaces);
        return (link, await Host.SessionAsync(link));
    }

    private Task<HttpResponseMessage> EventuallyAsync(Guid linkId, string path, string? cookie, string probe, HttpStatusCode status, TimeSpan? within = null) =>
        Host.EventuallyAsync(linkId, path, cookie, probe, status, within);

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("upstream", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Web_api_assets_and_websockets_reach_the_upstream_for_a_link_with_all_four_surfaces()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        var probe = Probe();

        using var web = await EventuallyAsync(link.Id, "/", cookie, probe, HttpStatusCode.OK);
        Assert.Equal("upstream GET /", await web.Content.ReadAsStringAsync());
        using var page = await Host.GetAsync(link.Id, "/dashboard/settings?tab=1", cookie, probe);
        Assert.Equal("upstream GET /dashboard/settings", await page.Content.ReadAsStringAsync());

        var post = new HttpRequestMessage(HttpMethod.Post, Host.LinkUri(link.Id, "/api/echo")) { Content = new StringContent("ping", Encoding.UTF8, "text/plain") };
        post.Headers.Add("X-Probe", probe);
        post.Headers.Add("Cookie", $"theme=dark; ef_link={cookie}; lang=en");
        using var api = await Host.Links.SendAsync(post);
        await api.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("echo:ping", await api.Content.ReadAsStringAsync());

        using var asset = await Host.GetAsync(link.Id, "/assets/app.js", cookie, probe);
        await asset.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);

        using (var socket = await Host.WebSocketAsync(link.Id, "/ws", cookie, probe))
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
            await socket.SendAsync("hello through the gateway"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[256];
            var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            Assert.Equal("hello through the gateway", Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        var seen = Host.Upstream.Received(probe);
        Assert.Equal(["/", "/dashboard/settings", "/api/echo", "/assets/app.js", "/ws"], seen.Select(r => r.Path));
        Assert.Equal("/dashboard/settings?tab=1", seen[1].RawTarget);
        Assert.True(seen[^1].WebSocket);
        Assert.All(seen, r =>
        {
            // The upstream sees its own address as the Host, never the link's host, and never the gateway's session.
            Assert.Equal($"127.0.0.1:{Host.Upstream.Port}", r.Host);
            Assert.DoesNotContain("ef_link", r.Header("Cookie") ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(cookie, string.Join("\n", r.Headers.Values), StringComparison.Ordinal);
            Assert.Null(r.Header("X-Forwarded-Host"));
        });
        Assert.Equal("theme=dark; lang=en", seen[2].Header("Cookie"));
    }

    [Fact]
    public async Task A_web_only_link_refuses_api_assets_and_websockets()
    {
        var (link, cookie) = await OpenedAsync(["Web"]);
        var probe = Probe();
        using (var web = await EventuallyAsync(link.Id, "/", cookie, probe, HttpStatusCode.OK))
        {
            Assert.Equal("upstream GET /", await web.Content.ReadAsStringAsync());
        }

        var refusedProbe = Probe();
        foreach (var path in new[] { "/api", "/api/echo", "/API/echo", "/assets/app.js", "/static/site.css", "/favicon.ico", "/app.js" })
        {
            using var response = await Host.GetAsync(link.Id, path, cookie, refusedProbe);
            await AssertRefusedAsync(response, HttpStatusCode.Forbidden);
        }

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => Host.WebSocketAsync(link.Id, "/ws", cookie, refusedProbe));
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Host.Upstream.Received(refusedProbe));
    }

    [Fact]
    public async Task Any_http_upgrade_needs_the_websockets_surface_and_only_websocket_upgrades_pass()
    {
        var (webOnly, webCookie) = await OpenedAsync(["Web"]);
        var (socketsOnly, socketsCookie) = await OpenedAsync(["WebSockets"]);
        var (all, allCookie) = await OpenedAsync(AllSurfaces);
        var probe = Probe();
        await EventuallyAsync(webOnly.Id, "/", webCookie, Probe(), HttpStatusCode.OK);
        await EventuallyAsync(all.Id, "/", allCookie, Probe(), HttpStatusCode.OK);

        // An upgrade the gateway does not call "websocket" (a list, another protocol) must not tunnel through a web-only link.
        foreach (var upgrade in new[] { "SPDY/3.1", "websocket, foo", "WebSocket ", "foo", "h2c" })
        {
            var answer = await Host.RawGetAsync("/raw-upgrade", GatewayHost.LinkHost(webOnly.Id), webCookie, probe,
                $"Connection: Upgrade\r\nUpgrade: {upgrade}\r\n");
            Assert.True(answer.Status is 400 or 403, $"Upgrade: {upgrade} on a web-only link: {answer.Head}");
        }

        // Nor through a link that opens WebSockets: only a WebSocket handshake is a WebSocket.
        var other = await Host.RawGetAsync("/raw-upgrade", GatewayHost.LinkHost(all.Id), allCookie, probe, "Connection: Upgrade\r\nUpgrade: foo\r\n");
        Assert.True(other.Status is 400 or 403, other.Head);

        // An "Upgrade: websocket" header on a plain request is not a WebSocket: it does not open pages through a WebSockets-only link.
        var page = await Host.RawGetAsync("/", GatewayHost.LinkHost(socketsOnly.Id), socketsCookie, probe, "Upgrade: websocket\r\n");
        Assert.True(page.Status is 400 or 403, page.Head);

        Assert.Empty(Host.Upstream.Received(probe));
    }

    public static TheoryData<string> BlockedPaths => new()
    {
        "/ssh", "/ssh/", "/ssh/session", "/logs", "/logs/app", "/secrets", "/secrets/db", "/_runtime", "/_runtime/status", "/minio", "/minio/ui",
        "/mailpit", "/mailhog", "/tailscale", "/root", "/.git/config", "/.env", "/app/.env", "/.ssh/id_ed25519", "/terminal", "/shell", "/exec",
        "/docker", "/metrics", "/debug", "/console", "/env", "/sudo", "/__envforge", "/__envforge/open/", "/__envforge/anything", "/grafana/login",
    };

    [Theory]
    [MemberData(nameof(BlockedPaths))]
    public async Task Blocked_surfaces_are_refused_whatever_the_link_allows_and_never_reach_the_upstream(string path)
    {
        var (link, cookie) = fixture.Shared;
        var probe = Probe();
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);

        using var response = await Host.GetAsync(link.Id, path, cookie, probe);
        await AssertRefusedAsync(response, HttpStatusCode.Forbidden);
        var raw = await Host.RawGetAsync(path, GatewayHost.LinkHost(link.Id), cookie, probe);
        Assert.Equal(403, raw.Status);
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => Host.WebSocketAsync(link.Id, path, cookie, probe));
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);

        Assert.Empty(Host.Upstream.Received(probe));
    }

    public static TheoryData<string, int> PathTricks => new()
    {
        { "/ssh%2Fx", 400 },
        { "/a%2Fssh", 400 },
        { "/a%2fssh", 400 },
        { "/a%5Cssh", 400 },
        { "/a%5cssh", 400 },
        { "/a\\ssh", 400 },
        { "/\\ssh", 400 },
        { "/a/../ssh", 400 },
        { "/a/./ssh", 400 },
        { "/%2e%2e/ssh", 400 },
        { "/%2E%2E/", 400 },
        { "/.%2e/ssh", 400 },
        { "/a%252Fssh", 400 },
        { "/%252e%252e/ssh", 400 },
        { "//ssh", 400 },
        { "///ssh", 400 },
        { "/a//ssh", 400 },
        { "/..;/ssh", 400 },
        { "/ssh;/x", 400 },
        { "/app;jsessionid=1", 400 },
        { "/SSH", 403 },
        { "/Ssh/x", 403 },
        { "/Logs", 403 },
        { "/SECRETS", 403 },
        { "/%73sh", 403 },
        { "/%2Egit/config", 400 },
        { "/.GIT/config", 403 },
        { "/ssh%00", 400 },
        { "/%00/ssh", 400 },
        { "/a%", 400 },
        { "/a%zz", 400 },
        { "/caf%C3%A9", 400 },
        { "/a%3F/../ssh", 400 },
        { "http://other/", 400 },
        { "http://other/ssh", 400 },
        { "*", 405 }, // asterisk-form is for OPTIONS only: Kestrel answers before the gateway
    };

    [Theory]
    [MemberData(nameof(PathTricks))]
    public async Task Path_tricks_are_refused_and_never_reach_the_upstream(string target, int status)
    {
        var (link, cookie) = fixture.Shared;
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();

        var answer = await Host.RawGetAsync(target, GatewayHost.LinkHost(link.Id), cookie, probe);

        Assert.True(status == answer.Status, $"{target}: expected {status}, got {answer.Head}");
        Assert.DoesNotContain("upstream", answer.Body, StringComparison.Ordinal);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task An_absolute_form_target_naming_the_link_itself_is_refused_as_not_canonical()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();
        var host = GatewayHost.LinkHost(link.Id);

        // The authority matches the Host (Kestrel checks that), so it is the gateway that says no.
        var answer = await Host.RawGetAsync($"http://{host}/", host, cookie, probe);
        Assert.Equal(400, answer.Status);
        Assert.Contains("canonical", answer.Body, StringComparison.Ordinal);
        answer = await Host.RawGetAsync($"http://{host}:{Host.Port}/dashboard", $"{host}:{Host.Port}", cookie, probe);
        Assert.Equal(400, answer.Status);
        answer = await Host.RawAsync($"OPTIONS * HTTP/1.1\r\nHost: {host}\r\nX-Probe: {probe}\r\nCookie: ef_link={cookie}\r\nConnection: close\r\n\r\n");
        Assert.Equal(400, answer.Status);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task Host_header_games_do_not_move_a_session_to_another_link_or_past_the_gateway()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        var (other, _) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();

        // This link's session on another link's host.
        using (var response = await Host.GetAsync(other.Id, "/", cookie, probe))
        {
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized);
        }

        // The same with the Host header rewritten (the URL still names this link).
        using (var response = await Host.GetAsync(link.Id, "/", cookie, probe, r => r.Headers.Host = GatewayHost.LinkHost(other.Id)))
        {
            await AssertRefusedAsync(response, HttpStatusCode.Unauthorized);
        }

        // A trailing dot, a host that only contains the link's host, a made-up link id: none is this link.
        foreach (var host in new[]
        {
            GatewayHost.LinkHost(link.Id) + ".", "evil." + GatewayHost.LinkHost(link.Id), $"{link.Id:N}.links.localhost.evil.example",
            $"{link.Id:D}.{GatewayHost.Domain}", $"{Guid.NewGuid():N}.{GatewayHost.Domain}", GatewayHost.Domain, "127.0.0.1",
        })
        {
            var answer = await Host.RawGetAsync("/", host, cookie, probe);
            Assert.True(answer.Status is 400 or 401 or 404, $"Host: {host}: {answer.Head}");
        }

        // X-Forwarded-Host is not a way in: on the API's own host it is ignored, and on the link's host it is not passed on.
        var forwarded = await Host.RawGetAsync("/", $"127.0.0.1:{Host.Port}", cookie, probe, $"X-Forwarded-Host: {GatewayHost.LinkHost(link.Id)}\r\n");
        Assert.NotEqual(200, forwarded.Status);
        Assert.Empty(Host.Upstream.Received(probe));

        var spoofProbe = Probe();
        var spoofed = await Host.RawGetAsync("/", GatewayHost.LinkHost(link.Id), cookie, spoofProbe,
            $"X-Forwarded-Host: {GatewayHost.LinkHost(other.Id)}\r\nX-Forwarded-For: 10.9.9.9\r\nX-Forwarded-Proto: https\r\nForwarded: for=10.9.9.9;host=evil.example;proto=https\r\nX-Real-IP: 10.9.9.9\r\n");
        Assert.Equal(200, spoofed.Status);
        var seen = Assert.Single(Host.Upstream.Received(spoofProbe));
        Assert.Null(seen.Header("X-Forwarded-Host"));
        Assert.Null(seen.Header("Forwarded"));
        Assert.Null(seen.Header("X-Real-IP"));
        Assert.Equal("127.0.0.1", seen.Header("X-Forwarded-For"));
        Assert.Equal("http", seen.Header("X-Forwarded-Proto"));
    }

    [Fact]
    public async Task The_session_cookie_never_reaches_the_upstream_and_the_upstream_cannot_set_it()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();

        // Cookie names are matched without regard to case by the gateway, so they are stripped the same way.
        var answer = await Host.RawGetAsync("/set-cookie", GatewayHost.LinkHost(link.Id), null, probe, $"Cookie: a=1; EF_LINK={cookie};ef_link={cookie} ; b=2\r\n");
        Assert.Equal(200, answer.Status);
        var seen = Assert.Single(Host.Upstream.Received(probe));
        Assert.DoesNotContain(cookie, seen.Header("Cookie") ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("ef_link", seen.Header("Cookie") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("a=1", seen.Header("Cookie"), StringComparison.Ordinal);
        Assert.Contains("b=2", seen.Header("Cookie"), StringComparison.Ordinal);

        var setCookies = answer.Head.Split("\r\n").Where(l => l.StartsWith("Set-Cookie:", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(["Set-Cookie: app=1; Path=/"], setCookies);

        // The gateway reads its cookie by name without regard to case: under any case it is a session, and it stays home.
        var upper = Probe();
        Assert.Equal(200, (await Host.RawGetAsync("/", GatewayHost.LinkHost(link.Id), null, upper, $"Cookie: EF_LINK={cookie}\r\n")).Status);
        Assert.Null(Assert.Single(Host.Upstream.Received(upper)).Header("Cookie"));
    }

    [Fact]
    public async Task Tampered_foreign_expired_and_revoked_tokens_and_sessions_are_refused()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();
        var parts = link.Token.Split('.');
        Assert.Equal(6, parts.Length);

        var sameWorkspace = await Host.IssueAsync("dev", fixture.Org, fixture.Awake, AllSurfaces);
        var otherWorkspace = await Host.IssueAsync("dev", fixture.Org, fixture.Asleep, AllSurfaces);
        var otherOrg = await Host.IssueAsync("bob", fixture.OtherOrg, fixture.OtherOrgWorkspace, AllSurfaces);
        var sameWorkspaceCookie = await Host.SessionAsync(sameWorkspace);
        var otherWorkspaceCookie = await Host.SessionAsync(otherWorkspace);
        var otherOrgCookie = await Host.SessionAsync(otherOrg);
        var signer = Host.Services.GetRequiredService<DevLinkSigner>();

        string With(int index, string value)
        {
            var copy = (string[])parts.Clone();
            copy[index] = value;
            return string.Join('.', copy);
        }

        var mac = parts[5];
        var flipped = mac[..10] + (mac[10] == 'A' ? 'B' : 'A') + mac[11..];
        var forged = new Dictionary<string, string>
        {
            ["a char of the MAC flipped"] = With(5, flipped),
            ["the MAC cut short"] = With(5, mac[..^2]),
            ["the link id changed"] = With(1, $"{sameWorkspace.Id:N}"),
            ["the generation changed"] = With(2, "2"),
            ["an unknown key id"] = With(3, "k9"),
            ["the nonce changed"] = With(4, parts[4][..^1] + (parts[4][^1] == 'A' ? 'B' : 'A')),
            ["the prefix changed"] = With(0, "efl2"),
            ["a session cookie in place of the token"] = cookie,
            ["a well-signed token that was never issued"] = signer.IssueToken(link.Id, 1).Token,
            ["another link's token (same workspace)"] = sameWorkspace.Token,
            ["another workspace's link's token"] = otherWorkspace.Token,
            ["another org's link's token"] = otherOrg.Token,
            ["nothing"] = "",
        };
        foreach (var (what, token) in forged)
        {
            using var response = await Host.OpenAsync(link.Id, token);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{what}: {(int)response.StatusCode}");
            Assert.Null(GatewayHost.SessionCookie(response));
            Assert.DoesNotContain(token.Length > 0 ? token : "efl1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var sessionParts = cookie.Split('.');
        string Session(int index, string value)
        {
            var copy = (string[])sessionParts.Clone();
            copy[index] = value;
            return string.Join('.', copy);
        }

        var forgedSessions = new Dictionary<string, string?>
        {
            ["no cookie"] = null,
            ["the expiry pushed out"] = Session(3, (long.Parse(sessionParts[3], System.Globalization.CultureInfo.InvariantCulture) + 86400).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["the link id changed"] = Session(1, $"{sameWorkspace.Id:N}"),
            ["the generation changed"] = Session(2, "2"),
            ["an unknown key id"] = Session(4, "k9"),
            ["a char of the MAC flipped"] = Session(5, sessionParts[5][..10] + (sessionParts[5][10] == 'A' ? 'B' : 'A') + sessionParts[5][11..]),
            ["the token in place of the session"] = link.Token,
            ["another link's session (same workspace)"] = sameWorkspaceCookie,
            ["another workspace's link's session"] = otherWorkspaceCookie,
            ["another org's link's session"] = otherOrgCookie,
            ["a well-signed session of another generation"] = signer.IssueSession(link.Id, 2, DateTimeOffset.UtcNow.AddHours(1)),
        };
        foreach (var (what, session) in forgedSessions)
        {
            using var response = await Host.GetAsync(link.Id, "/", session, probe);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}");
        }

        Assert.Empty(Host.Upstream.Received(probe));

        // Revoked: the token is gone (410) and the session from before the revocation stops.
        await (await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/revoke", new { reason = "test" })).AssertStatusAsync(HttpStatusCode.OK);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.Gone);
        await AssertRefusedAsync(await Host.GetAsync(link.Id, "/", cookie, probe), HttpStatusCode.Gone);
        using (var reopened = await Host.OpenAsync(link.Id, link.Token))
        {
            Assert.Equal(HttpStatusCode.Gone, reopened.StatusCode);
            Assert.Null(GatewayHost.SessionCookie(reopened));
        }

        // The other links are untouched.
        await EventuallyAsync(sameWorkspace.Id, "/", sameWorkspaceCookie, Probe(), HttpStatusCode.OK);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task A_link_past_its_expiry_is_refused_by_the_gateways_own_clock()
    {
        var link = await Host.IssueAsync("dev", fixture.Org, fixture.Awake, AllSurfaces, expiresInMinutes: (int)DevLinkPolicy.MinimumExpiry.TotalMinutes);
        var cookie = await Host.SessionAsync(link);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();
        Assert.Equal(link.Id, Assert.Single(Host.LinkWorkflows.DevLinkExpiries, e => e.LinkId == link.Id).LinkId);

        Host.Clock.Offset = DevLinkPolicy.MinimumExpiry + TimeSpan.FromSeconds(1);
        try
        {
            // No expiry event was recorded (the timer is a stand-in here): the gateway's clock alone ends it.
            await AssertRefusedAsync(await Host.GetAsync(link.Id, "/", cookie, probe), HttpStatusCode.Gone);
            using var reopened = await Host.OpenAsync(link.Id, link.Token);
            Assert.Equal(HttpStatusCode.Gone, reopened.StatusCode);
            Assert.Null(GatewayHost.SessionCookie(reopened));
        }
        finally
        {
            Host.Clock.Offset = TimeSpan.Zero;
        }

        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task A_link_whose_stream_names_another_org_than_its_workspace_never_reaches_that_workspace()
    {
        // Not something the API issues (it checks the workspace is in the org); the gateway checks it again regardless.
        var signer = Host.Services.GetRequiredService<DevLinkSigner>();
        var linkId = Guid.CreateVersion7();
        var (token, hash) = signer.IssueToken(linkId, 1);
        var now = DateTimeOffset.UtcNow;
        await using (var session = Host.Store.LightweightSession())
        {
            session.Events.StartStream<DevLink>(linkId, new DevLinkIssued(
                linkId, fixture.OtherOrg, fixture.Awake, "web", "bob", now.AddHours(1), [.. Enum.GetValues<DevLinkSurface>()], signer.CurrentKeyId, hash, "bob", now));
            await session.SaveChangesAsync();
        }

        var cookie = await Host.SessionAsync(new IssuedLink(linkId, token, ""));
        var probe = Probe();
        await AssertRefusedAsync(await Host.GetAsync(linkId, "/", cookie, probe), HttpStatusCode.ServiceUnavailable);
        Assert.Empty(Host.Upstream.Received(probe));
        Assert.DoesNotContain(Host.Workflows.Wakes, w => w.Input.WorkspaceId == fixture.Awake);
    }

    [Fact]
    public async Task Revocation_through_the_api_is_enforced_by_the_gateway_within_a_second()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", cookie, Probe(), HttpStatusCode.OK);
        var probe = Probe();

        var clock = Stopwatch.StartNew();
        var revoke = await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/revoke", new { reason = "leaked in chat" });
        await revoke.AssertStatusAsync(HttpStatusCode.OK);
        HttpResponseMessage response;
        do
        {
            response = await Host.GetAsync(link.Id, "/", cookie, probe);
        }
        while (response.StatusCode == HttpStatusCode.OK && clock.ElapsedMilliseconds < 5000);

        clock.Stop();
        await AssertRefusedAsync(response, HttpStatusCode.Gone);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"the gateway refused the revoked link only after {clock.ElapsedMilliseconds} ms");
        Assert.Contains(link.Id, Host.LinkWorkflows.DevLinkRevocations);

        // Every request after the refusal is refused too.
        var after = Probe();
        for (var i = 0; i < 5; i++)
        {
            await AssertRefusedAsync(await Host.GetAsync(link.Id, "/", cookie, after), HttpStatusCode.Gone);
        }

        Assert.Empty(Host.Upstream.Received(after));
    }

    [Fact]
    public async Task Rotation_stops_the_old_token_and_its_sessions_and_the_new_token_works()
    {
        var (link, oldCookie) = await OpenedAsync(AllSurfaces);
        await EventuallyAsync(link.Id, "/", oldCookie, Probe(), HttpStatusCode.OK);

        var rotated = await Host.ApiAs("dev").PostAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/rotate", null);
        await rotated.AssertStatusAsync(HttpStatusCode.OK);
        var fresh = IssuedLink.From(await rotated.ReadAsync<IssuedDevLinkResponse>());
        Assert.Equal(link.Id, fresh.Id);
        Assert.NotEqual(link.Token, fresh.Token);

        var probe = Probe();
        await EventuallyAsync(link.Id, "/", oldCookie, Probe(), HttpStatusCode.Unauthorized);
        await AssertRefusedAsync(await Host.GetAsync(link.Id, "/", oldCookie, probe), HttpStatusCode.Unauthorized);
        using (var old = await Host.OpenAsync(link.Id, link.Token))
        {
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
            Assert.Null(GatewayHost.SessionCookie(old));
        }

        Assert.Empty(Host.Upstream.Received(probe));

        var newCookie = await Host.SessionAsync(fresh);
        Assert.NotEqual(oldCookie, newCookie);
        using var ok = await EventuallyAsync(link.Id, "/", newCookie, Probe(), HttpStatusCode.OK);
        Assert.Equal("upstream GET /", await ok.Content.ReadAsStringAsync());
        await AssertRefusedAsync(await Host.GetAsync(link.Id, "/", oldCookie, probe), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_sleeping_workspace_is_woken_by_its_dev_url_and_nothing_is_forwarded()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces, fixture.Asleep);
        var probe = Probe();

        using var response = await EventuallyAsync(link.Id, "/", cookie, probe, HttpStatusCode.ServiceUnavailable);
        await AssertRefusedAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var wake = Assert.Single(Host.Workflows.Wakes, w => w.Input.WorkspaceId == fixture.Asleep);
        Assert.Equal(WakeTrigger.DevUrl, wake.Trigger);
        Assert.Equal(fixture.Org, wake.Input.OrgId);
        Assert.Empty(Host.Upstream.Received(probe));

        // A burst of requests to the sleeping workspace sends no second wake: one signal wakes it.
        for (var i = 0; i < 5; i++)
        {
            using var again = await Host.GetAsync(link.Id, "/", cookie, probe);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        }

        Assert.Single(Host.Workflows.Wakes, w => w.Input.WorkspaceId == fixture.Asleep);

        // Once the workspace is awake, the same session goes through.
        await using (var session = Host.Store.LightweightSession())
        {
            session.Events.Append(fixture.Asleep, new WorkspaceWoke(fixture.Asleep, fixture.Org, WakeTrigger.DevUrl, [], "runtime", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        await EventuallyAsync(link.Id, "/", cookie, probe, HttpStatusCode.OK);

        // Traffic is activity: the runtime workflow hears of it (its idle timer restarts), once a minute, not per request.
        for (var i = 0; i < 5; i++)
        {
            using var more = await Host.GetAsync(link.Id, "/", cookie, probe);
            Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!Host.Workflows.Heartbeats.Contains(fixture.Asleep) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Single(Host.Workflows.Heartbeats, id => id == fixture.Asleep);
        await using (var session = Host.Store.LightweightSession())
        {
            session.Events.Append(fixture.Asleep, new WorkspaceSlept(fixture.Asleep, fixture.Org, "idle", "runtime", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }
    }

    [Fact]
    public async Task The_token_and_the_session_cookie_are_in_no_log_line_event_or_document()
    {
        var issued = await Host.IssueAsync("dev", fixture.Org, fixture.Awake, AllSurfaces);
        var cookie = await Host.SessionAsync(issued);
        await EventuallyAsync(issued.Id, "/?q=1", cookie, Probe(), HttpStatusCode.OK);
        using (var refused = await Host.OpenAsync(issued.Id, issued.Token + "x"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        using (var wrongHost = await Host.OpenAsync(Guid.NewGuid(), issued.Token))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrongHost.StatusCode);
        }

        var rotated = await Host.ApiAs("dev").PostAsync($"/orgs/{fixture.Org}/dev-links/{issued.Id}/rotate", null);
        var fresh = IssuedLink.From(await rotated.ReadAsync<IssuedDevLinkResponse>());
        var freshCookie = await Host.SessionAsync(fresh);
        await (await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/dev-links/{issued.Id}/revoke", new { })).AssertStatusAsync(HttpStatusCode.OK);
        await EventuallyAsync(issued.Id, "/", freshCookie, Probe(), HttpStatusCode.Gone);
        using (var afterRevoke = await Host.OpenAsync(issued.Id, fresh.Token))
        {
            Assert.Equal(HttpStatusCode.Gone, afterRevoke.StatusCode);
        }

        // The MAC and nonce parts alone would be enough to rebuild a token: look for those too.
        var secrets = new[] { issued.Token, fresh.Token, cookie, freshCookie }
            .SelectMany(s => new[] { s, s.Split('.')[^1] })
            .Concat([issued.Token.Split('.')[4], fresh.Token.Split('.')[4], Uri.EscapeDataString(issued.Token), Uri.EscapeDataString(fresh.Token)])
            .Distinct()
            .ToList();

        var lines = Host.Logs.Lines.ToList();
        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Contains(issued.Id.ToString(), StringComparison.Ordinal) || l.Contains("Dev link directory", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }

        // Every row of every table EnvForge keeps (events, snapshots, read models, the daemon's own tables).
        await Host.Services.GetRequiredService<IDocumentStore>().WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var dump = new StringBuilder();
        await using (var connection = Host.Store.Storage.Database.CreateConnection())
        {
            await connection.OpenAsync();
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand(
                "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'",
                connection))
            await using (var reader = await list.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            Assert.Contains("envforge.mt_events", tables);
            Assert.Contains("envforge.mt_doc_devlink", tables);
            foreach (var table in tables)
            {
                await using var rows = new NpgsqlCommand($"select t::text from {table} t", connection);
                await using var reader = await rows.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    dump.AppendLine(reader.GetString(0));
                }
            }
        }

        var stored = dump.ToString();
        Assert.Contains(DevLinkSigner.Hash(issued.Token), stored, StringComparison.Ordinal);
        Assert.Contains("dev_link.revoked.v1", stored, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }
}
