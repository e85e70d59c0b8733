using System.Net;
using System.Net.WebSockets;
using System.Text;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// The dev-link boundary as an attacker tries it (issue 16), through raw sockets wherever a client library would tidy the
/// request up: spoofed WebSocket handshakes, CONNECT, padded blocked names and fragments, cookies an app plants for other
/// links, foreign origins, rewrite headers, and secrets in query strings reaching a log. Every request of a test carries a
/// probe, so "never forwarded" is checked at the upstream.
/// </summary>
public sealed class GatewayBoundaryTests(PostgresServer postgres, GatewayBoundaryTests.Fixture fixture) : IClassFixture<GatewayBoundaryTests.Fixture>, IAsyncLifetime
{
    private const string ValidKey = "dGhlIHNhbXBsZSBub25jZQ==";

    /// <summary>An org with a developer and an awake workspace; each test issues the links it needs.</summary>
    public sealed class Fixture : GatewayFixture
    {
        public Guid Org { get; private set; }

        public Guid Awake { get; private set; }

        protected override async Task SeedAsync(GatewayHost host)
        {
            Org = await host.OrgAsync("alice");
            await (await host.ApiAs("alice").PostJsonAsync($"/orgs/{Org}/members", new { userId = "dev", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
            Awake = await host.WorkspaceAsync(Org);
        }
    }

    private GatewayHost Host => fixture.Host ?? throw new InvalidOperationException("not initialized");

    private static string Probe() => Guid.NewGuid().ToString("N");

    public ValueTask InitializeAsync() => new(fixture.EnsureStartedAsync(postgres));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<(IssuedLink Link, string Cookie)> OpenedAsync(params string[] surfaces)
    {
        var link = await Host.IssueAsync("dev", fixture.Org, fixture.Awake, surfaces);
        return (link, await Host.SessionAsync(link));
    }

    private string OriginOf(Guid linkId) => $"http://{GatewayHost.LinkHost(linkId)}:{Host.Port}";

    private async Task<RawResponse> ExchangeAsync(string request)
    {
        await using var connection = await Host.ConnectAsync();
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }

    private static void AssertNoAppAnswer(RawResponse answer, string what)
    {
        Assert.DoesNotContain("upstream", answer.Body, StringComparison.Ordinal);
        Assert.False(answer.Body.Contains("echo:", StringComparison.Ordinal), $"{what}: the app's answer came back: {answer.Body}");
    }

    // --- 1. WebSocket surface classification ---

    [Fact]
    public async Task A_websocket_handshake_is_answered_by_a_switch_of_protocols_or_a_502_never_by_the_apps_pages_or_api()
    {
        var (webAndSockets, cookie) = await OpenedAsync("Web", "WebSockets");
        var (socketsOnly, socketsCookie) = await OpenedAsync("WebSockets");
        var probe = Probe();

        foreach (var (link, session, target) in new[]
        {
            (webAndSockets, cookie, "/api/echo"), (socketsOnly, socketsCookie, "/"), (socketsOnly, socketsCookie, "/assets/app.js"),
            (socketsOnly, socketsCookie, "/api/echo"), (socketsOnly, socketsCookie, "/dashboard?tab=1"),
        })
        {
            var answer = await ExchangeAsync(RawConnection.Handshake(target, GatewayHost.LinkHost(link.Id), session, probe));
            Assert.True(answer.Status == 502, $"a handshake to {target} the app does not switch: {answer.Head}\n{answer.Body}");
            AssertNoAppAnswer(answer, target);
            Assert.Empty(answer.HeaderValues("Set-Cookie"));
        }

        // A real handshake to an app that switches protocols still opens a tunnel, through a WebSockets-only link too.
        using var socket = await Host.WebSocketAsync(socketsOnly.Id, "/ws", socketsCookie, Probe());
        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        await socket.SendAsync("still works"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        Assert.Equal("still works", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    public static TheoryData<string, string?, string?> NotHandshakes => new()
    {
        { "POST", "13", ValidKey },
        { "PUT", "13", ValidKey },
        { "DELETE", "13", ValidKey },
        { "GET", "12", ValidKey },
        { "GET", "13, 8", ValidKey },
        { "GET", null, ValidKey },
        { "GET", "13", null },
        { "GET", "13", "abc" },
        { "GET", "13", "AAAAAAAAAAAAAAAAAAAA" },
        { "GET", "13", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
        { "GET", "13", "!!!!!!!!!!!!!!!!!!!!!!==" },
    };

    [Theory]
    [MemberData(nameof(NotHandshakes))]
    public async Task Websocket_headers_on_anything_but_a_valid_handshake_leave_the_request_on_its_paths_surface(string method, string? version, string? key)
    {
        var (link, cookie) = await OpenedAsync("Web", "WebSockets");
        var probe = Probe();

        var answer = await ExchangeAsync(RawConnection.Handshake("/api/echo", GatewayHost.LinkHost(link.Id), cookie, probe, method, version: version, key: key));

        Assert.True(answer.Status == 403, $"{method} version {version} key {key}: {answer.Head}\n{answer.Body}");
        AssertNoAppAnswer(answer, method);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task Connect_outside_http2_extended_connect_is_refused_whatever_its_headers()
    {
        var (link, cookie) = await OpenedAsync("Web", "Api", "Assets", "WebSockets");
        var host = GatewayHost.LinkHost(link.Id);
        var probe = Probe();

        var origin = await ExchangeAsync(RawConnection.Handshake("/ws", host, cookie, probe, "CONNECT"));
        Assert.True(origin.Status == 405, origin.Head);
        var plain = await ExchangeAsync($"CONNECT /api/echo HTTP/1.1\r\nHost: {host}\r\nX-Probe: {probe}\r\nCookie: ef_link={cookie}\r\nConnection: close\r\n\r\n");
        Assert.True(plain.Status == 405, plain.Head);
        var authority = await ExchangeAsync($"CONNECT {host}:80 HTTP/1.1\r\nHost: {host}:80\r\nX-Probe: {probe}\r\nCookie: ef_link={cookie}\r\nConnection: close\r\n\r\n");
        Assert.True(authority.Status is 400 or 405, authority.Head);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task A_websocket_over_http2_extended_connect_opens_a_tunnel_under_the_same_origin_rule()
    {
        var (link, cookie) = await OpenedAsync("WebSockets");
        var (other, _) = await OpenedAsync("WebSockets");
        var socket = await Host.WebSocketAsync(link.Id, "/ws", cookie, Probe(), http2: true);
        using (socket)
        {
            Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode); // RFC 8441: a 200 to the extended CONNECT
            await socket.SendAsync("over h2"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var buffer = new byte[64];
            var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            Assert.Equal("over h2", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        // The same rules as over HTTP/1.1: another link's origin is refused.
        var probe = Probe();
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => Host.WebSocketAsync(link.Id, "/ws", cookie, probe,
            o => o.SetRequestHeader("Origin", $"http://{GatewayHost.LinkHost(other.Id)}:{Host.Http2Port}"), http2: true));
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    // --- 4. Blocked names with padding, suffixes, fragments ---

    public static TheoryData<string, int> PaddedBlockedNames => new()
    {
        { "/logs.", 403 }, { "/logs%20", 403 }, { "/%20logs", 403 }, { "/logs.json", 403 }, { "/logs..", 403 }, { "/logs.json.", 403 },
        { "/logs%20.json", 403 }, { "/Logs.JSON/x", 403 }, { "/secrets.", 403 }, { "/secrets%20", 403 }, { "/%20secrets", 403 },
        { "/secrets.json", 403 }, { "/secrets.yaml", 403 }, { "/_admin.", 403 }, { "/_admin%20", 403 }, { "/%20_admin", 403 },
        { "/_admin.json", 403 }, { "/ssh.txt", 403 }, { "/mailpit.html/", 403 }, { "/minio%20%20/x", 403 }, { "/root.", 403 },
        { "/logs#frag", 400 }, { "/logs%23frag", 400 }, { "/dashboard#section", 400 }, { "/#", 400 }, { "/?q=1#x", 400 },
    };

    [Theory]
    [MemberData(nameof(PaddedBlockedNames))]
    public async Task Blocked_names_with_padding_format_suffixes_or_a_fragment_are_refused_and_never_reach_the_upstream(string target, int status)
    {
        var (link, cookie) = await OpenedAsync("Web", "Api", "Assets", "WebSockets");
        var probe = Probe();

        var answer = await Host.RawGetAsync(target, GatewayHost.LinkHost(link.Id), cookie, probe);

        Assert.True(answer.Status == status, $"{target}: expected {status}, got {answer.Head}");
        Assert.DoesNotContain("upstream", answer.Body, StringComparison.Ordinal);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    // --- 5. Cookies the app sets for other links, and the session cookie's shadows ---

    [Fact]
    public async Task Cookies_the_app_sets_for_other_links_or_in_the_sessions_name_are_dropped_and_clear_site_data_is_stripped()
    {
        var (link, cookie) = await OpenedAsync("Web");

        var answer = await Host.RawGetAsync("/hostile-cookies", GatewayHost.LinkHost(link.Id), cookie, Probe());

        Assert.Equal(200, answer.Status);
        Assert.Equal(Upstream.HarmlessCookies, answer.HeaderValues("Set-Cookie"));
        Assert.Empty(answer.HeaderValues("Clear-Site-Data"));
    }

    [Fact]
    public async Task A_request_with_two_different_session_cookies_is_refused_whichever_comes_last()
    {
        var (link, cookie) = await OpenedAsync("Web");
        var (_, otherCookie) = await OpenedAsync("Web");
        var probe = Probe();
        var host = GatewayHost.LinkHost(link.Id);

        foreach (var cookies in new[]
        {
            $"ef_link={cookie}; ef_link=garbage", $"ef_link=garbage; ef_link={cookie}", $"ef_link={otherCookie}; EF_LINK={cookie}",
            $"ef_link={cookie}; ef_link={otherCookie}", $"ef_link={cookie}; ef_link=",
        })
        {
            var answer = await Host.RawGetAsync("/", host, null, probe, $"Cookie: {cookies}\r\n");
            Assert.True(answer.Status is 400 or 401, $"{cookies}: {answer.Head}");
        }

        Assert.Empty(Host.Upstream.Received(probe));

        // The same session twice is still one session.
        var twice = Probe();
        Assert.Equal(200, (await Host.RawGetAsync("/", host, null, twice, $"Cookie: ef_link={cookie}; theme=dark; ef_link={cookie}\r\n")).Status);
        Assert.Single(Host.Upstream.Received(twice));
    }

    // --- 6. Origin checks ---

    [Fact]
    public async Task A_websocket_handshake_from_another_origin_is_refused_and_from_its_own_or_none_it_opens()
    {
        var (link, cookie) = await OpenedAsync("Web", "WebSockets");
        var (other, _) = await OpenedAsync("Web", "WebSockets");
        var probe = Probe();

        foreach (var origin in new[]
        {
            OriginOf(other.Id), "http://evil.example", "null", $"https://{GatewayHost.LinkHost(link.Id)}:{Host.Port}",
            $"http://{GatewayHost.LinkHost(link.Id)}:{Host.Port + 1}", $"http://{GatewayHost.LinkHost(link.Id)}.evil.example:{Host.Port}",
            $"http://evil.{GatewayHost.LinkHost(link.Id)}:{Host.Port}", $"http://{GatewayHost.Domain}:{Host.Port}",
        })
        {
            var ex = await Assert.ThrowsAsync<WebSocketException>(() => Host.WebSocketAsync(link.Id, "/ws", cookie, probe, o => o.SetRequestHeader("Origin", origin)));
            Assert.True(ex.Message.Contains("403", StringComparison.Ordinal), $"Origin {origin}: {ex.Message}");

            var raw = await ExchangeAsync(RawConnection.Handshake("/ws", GatewayHost.LinkHost(link.Id), cookie, probe, origin: origin));
            Assert.True(raw.Status == 403, $"Origin {origin} (raw): {raw.Head}");
        }

        Assert.Empty(Host.Upstream.Received(probe));

        using (var own = await Host.WebSocketAsync(link.Id, "/ws", cookie, Probe(), o => o.SetRequestHeader("Origin", OriginOf(link.Id))))
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, own.HttpStatusCode);
        }

        using var none = await Host.WebSocketAsync(link.Id, "/ws", cookie, Probe());
        Assert.Equal(HttpStatusCode.SwitchingProtocols, none.HttpStatusCode);
    }

    [Fact]
    public async Task An_unsafe_request_from_another_origin_is_refused_and_a_safe_one_is_not()
    {
        var (link, cookie) = await OpenedAsync("Web", "Api");
        var (other, _) = await OpenedAsync("Web", "Api");
        var host = GatewayHost.LinkHost(link.Id);
        var probe = Probe();

        string Request(string method, string? origin) =>
            $"{method} /api/echo HTTP/1.1\r\nHost: {host}:{Host.Port}\r\nX-Probe: {probe}\r\nCookie: ef_link={cookie}\r\n"
            + (origin is null ? "" : $"Origin: {origin}\r\n") + "Content-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nping";

        foreach (var method in new[] { "POST", "PUT", "PATCH", "DELETE" })
        {
            foreach (var origin in new[] { OriginOf(other.Id), "http://evil.example", "null" })
            {
                var refused = await ExchangeAsync(Request(method, origin));
                Assert.True(refused.Status == 403, $"{method} from {origin}: {refused.Head}");
                AssertNoAppAnswer(refused, method);
            }
        }

        Assert.Empty(Host.Upstream.Received(probe));

        var own = await ExchangeAsync(Request("POST", OriginOf(link.Id)));
        Assert.Equal(200, own.Status);
        Assert.Equal("echo:ping", own.Body);
        Assert.Equal(200, (await ExchangeAsync(Request("POST", null))).Status);

        // A page or a GET may be linked to from anywhere: reading is not acting.
        var read = await Host.RawGetAsync("/dashboard", host, cookie, probe, "Origin: http://evil.example\r\n");
        Assert.Equal(200, read.Status);
    }

    // --- 7. Smaller: rewrite headers, logs ---

    [Fact]
    public async Task Rewrite_and_host_override_request_headers_never_reach_the_upstream()
    {
        var (link, cookie) = await OpenedAsync("Web");
        var probe = Probe();
        string[] overrides = ["X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Original-Host", "X-Host", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"];

        var answer = await Host.RawGetAsync("/", GatewayHost.LinkHost(link.Id), cookie, probe,
            string.Concat(overrides.Select(h => $"{h}: /ssh\r\n")) + "x-original-url: /logs\r\n");

        Assert.Equal(200, answer.Status);
        var seen = Assert.Single(Host.Upstream.Received(probe));
        foreach (var header in overrides)
        {
            Assert.Null(seen.Header(header));
        }
    }

    [Fact]
    public async Task Neither_the_proxy_nor_the_server_logs_a_query_string_or_a_cookie_even_at_trace()
    {
        var (link, cookie) = await OpenedAsync("Web", "WebSockets");
        var host = GatewayHost.LinkHost(link.Id);
        var secrets = Enumerable.Range(0, 5).Select(_ => "s3cr3t" + Guid.NewGuid().ToString("N")).ToArray();

        Assert.Equal(200, (await Host.RawGetAsync($"/page?access_token={secrets[0]}", host, cookie, Probe(), $"Cookie: app_session={secrets[1]}\r\n")).Status);
        using (var socket = await Host.WebSocketAsync(link.Id, $"/ws?ticket={secrets[2]}", cookie, Probe()))
        {
            Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        }

        // Bad requests, which a server describes (request line included) when its logging is verbose.
        var bad = await Host.RawAsync($"GET /?t={secrets[3]} HTTP/1.1 junk\r\nHost: {host}\r\n\r\n");
        Assert.Equal(400, bad.Status);
        var badHeader = await Host.RawAsync($"GET /?t={secrets[4]} HTTP/1.1\r\nHost: {host}\r\nContent-Length: x{secrets[4]}\r\n\r\n");
        Assert.Equal(400, badHeader.Status);

        var lines = Host.Logs.Lines.ToList();
        Assert.NotEmpty(lines);
        foreach (var secret in secrets.Append(cookie))
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Refused_requests_on_a_link_reach_the_audit_trail_as_one_counted_burst_with_their_reasons()
    {
        var (link, cookie) = await OpenedAsync("Web");
        var probe = Probe();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Host.GetAsync(link.Id, "/dashboard", cookie: null, probe)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await Host.GetAsync(link.Id, "/api/echo", cookie, probe)).StatusCode);
        }

        var unknown = Guid.NewGuid(); // a host no link lives at: refused, and not counted (nothing to attribute it to)
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.GetAsync(unknown, "/dashboard", cookie: null, probe)).StatusCode);
        await Host.Services.GetRequiredService<RefusalRecorder>().FlushAsync(CancellationToken.None);

        await using var session = Host.Store.QuerySession();
        var refused = (await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName == "audit.dev_link_requests_refused.v1").ToListAsync())
            .Select(e => e.Data).OfType<DevLinkRequestsRefused>().ToList();
        var records = refused.Where(r => r.LinkId == link.Id).ToList();
        Assert.NotEmpty(records);
        Assert.Equal((fixture.Org, fixture.Awake, 12), (records[0].OrgId, records[0].WorkspaceId, records.Sum(r => r.Count)));
        var reasons = records.SelectMany(r => r.Reasons).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Value));
        Assert.Equal(new Dictionary<string, int> { ["no_session"] = 6, ["surface"] = 6 }, reasons);
        Assert.DoesNotContain(refused, r => r.LinkId == unknown);
    }
}
