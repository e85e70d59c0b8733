using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// What a link opened stays bound by the link's fate: a revocation, a rotation, the expiry or a surface taken away closes
/// the WebSockets, streamed answers and waiting requests already open through it, within the limit new requests get
/// (a second here, like the revocation test of new requests), and closes the gateway's leg to the upstream too.
/// </summary>
public sealed class GatewayLiveConnectionTests(PostgresServer postgres, GatewayLiveConnectionTests.Fixture fixture)
    : IClassFixture<GatewayLiveConnectionTests.Fixture>, IAsyncLifetime
{
    private static readonly string[] AllSurfaces = ["Web", "Api", "Assets", "WebSockets"];
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);
    private static readonly object WebOnly = new { surfaces = new[] { "Web" } };

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

    public ValueTask DisposeAsync()
    {
        Host.Clock.Offset = TimeSpan.Zero;
        return ValueTask.CompletedTask;
    }

    private async Task<(IssuedLink Link, string Cookie)> OpenedAsync(string[] surfaces, int expiresInMinutes = 60)
    {
        var link = await Host.IssueAsync("dev", fixture.Org, fixture.Awake, surfaces, expiresInMinutes);
        return (link, await Host.SessionAsync(link));
    }

    /// <summary>An echoing WebSocket through the link (one message round trip proves it open), and when it ended.</summary>
    internal static async Task<(ClientWebSocket Socket, Task<long> Ended)> OpenSocketAsync(GatewayHost host, Guid linkId, string cookie)
    {
        var socket = await host.WebSocketAsync(linkId, "/ws", cookie, Probe());
        await socket.SendAsync("open"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[64];
        Assert.Equal(4, (await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)).Count);
        return (socket, EndOfAsync(socket));
    }

    private static async Task<long> EndOfAsync(ClientWebSocket socket)
    {
        var buffer = new byte[256];
        try
        {
            while ((await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            // closed under it: that is the end too
        }

        return Stopwatch.GetTimestamp();
    }

    /// <summary>A request on a raw connection whose answer is still coming (<c>/stream</c>) or not yet started (<c>/slow</c>).</summary>
    internal static async Task<(RawConnection Connection, Task<(long At, bool Closed, string Text)> Ended)> OpenLongRequestAsync(
        GatewayHost host, Guid linkId, string cookie, string path)
    {
        var connection = await host.ConnectAsync();
        await connection.SendAsync($"GET {path} HTTP/1.1\r\nHost: {GatewayHost.LinkHost(linkId)}\r\nX-Probe: {Probe()}\r\nCookie: ef_link={cookie}\r\nConnection: close\r\n\r\n");
        if (path == "/stream")
        {
            var head = await connection.ReadHeadAsync();
            Assert.True(head.Status == 200, head.Head);
        }

        return (connection, EndedAsync(connection));

        static async Task<(long, bool, string)> EndedAsync(RawConnection connection)
        {
            var (closed, text) = await connection.ReadToCloseAsync(TimeSpan.FromSeconds(30));
            return (Stopwatch.GetTimestamp(), closed, text);
        }
    }

    /// <summary>Waits (with a deadline) until the upstream serves <paramref name="count"/> long requests.</summary>
    internal static async Task UpstreamServesAsync(GatewayHost host, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (host.Upstream.LongRequests != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the upstream serves {host.Upstream.LongRequests} long requests, expected {count}");
            await Task.Delay(20);
        }
    }

    /// <summary>The end came, and within <see cref="Limit"/> of <paramref name="from"/>.</summary>
    internal static async Task AssertEndedWithinAsync(Task<long> ended, long from, string what)
    {
        var finished = await Task.WhenAny(ended, Task.Delay(Limit * 5));
        Assert.True(finished == ended, $"{what} was still open {(Limit * 5).TotalSeconds} s after the change");
        var after = Stopwatch.GetElapsedTime(from, await ended);
        Assert.True(after < Limit, $"{what} was closed only {after.TotalMilliseconds:0} ms after the change");
    }

    internal static async Task AssertEndedWithinAsync(Task<(long At, bool Closed, string Text)> ended, long from, string what)
    {
        await AssertEndedWithinAsync(ended.ContinueWith(t => t.Result.At, TaskScheduler.Default), from, what);
        var (_, closed, text) = await ended;
        Assert.True(closed, $"{what} was not closed");
        Assert.DoesNotContain("upstream slow answer", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_link_closes_its_open_websockets_streams_and_waiting_requests_within_a_second()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        var (other, otherCookie) = await OpenedAsync(AllSurfaces);
        var baseline = Host.Upstream.LongRequests;
        var (socket, socketEnded) = await OpenSocketAsync(Host, link.Id, cookie);
        var (stream, streamEnded) = await OpenLongRequestAsync(Host, link.Id, cookie, "/stream");
        var (slow, slowEnded) = await OpenLongRequestAsync(Host, link.Id, cookie, "/slow");
        var (otherSocket, otherEnded) = await OpenSocketAsync(Host, other.Id, otherCookie);
        await UpstreamServesAsync(Host, baseline + 4);

        await (await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/revoke", new { reason = "leaked" })).AssertStatusAsync(HttpStatusCode.OK);
        var revoked = Stopwatch.GetTimestamp();

        await AssertEndedWithinAsync(socketEnded, revoked, "the revoked link's WebSocket");
        await AssertEndedWithinAsync(streamEnded, revoked, "the revoked link's streamed answer");
        await AssertEndedWithinAsync(slowEnded, revoked, "the revoked link's waiting request");
        var (_, _, slowText) = await slowEnded;
        Assert.True(slowText.Length == 0 || slowText.StartsWith("HTTP/1.1 410 ", StringComparison.Ordinal), slowText);

        // The gateway's legs to the app are closed too; another link's tunnel is untouched.
        await UpstreamServesAsync(Host, baseline + 1);
        Assert.False(otherEnded.IsCompleted);
        await otherSocket.SendAsync("still"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        await UpstreamServesAsync(Host, baseline + 1);
        Assert.False(otherEnded.IsCompleted);

        socket.Dispose();
        otherSocket.Dispose();
        await stream.DisposeAsync();
        await slow.DisposeAsync();
    }

    [Fact]
    public async Task Rotating_a_link_closes_what_its_old_sessions_opened_within_a_second()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces);
        var (socket, socketEnded) = await OpenSocketAsync(Host, link.Id, cookie);
        var (stream, streamEnded) = await OpenLongRequestAsync(Host, link.Id, cookie, "/stream");

        var rotated = await Host.ApiAs("dev").PostAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/rotate", null);
        await rotated.AssertStatusAsync(HttpStatusCode.OK);
        var at = Stopwatch.GetTimestamp();

        await AssertEndedWithinAsync(socketEnded, at, "a WebSocket of the old token");
        await AssertEndedWithinAsync(streamEnded, at, "a streamed answer of the old token");

        // The new token's sessions open tunnels as before.
        var fresh = await Host.SessionAsync(IssuedLink.From(await rotated.ReadAsync<IssuedDevLinkResponse>()));
        var (again, againEnded) = await OpenSocketAsync(Host, link.Id, fresh);
        Assert.False(againEnded.IsCompleted);
        again.Dispose();
        socket.Dispose();
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task A_tunnel_ends_when_its_link_expires_by_the_gateways_clock()
    {
        var (link, cookie) = await OpenedAsync(AllSurfaces, (int)DevLinkPolicy.MinimumExpiry.TotalMinutes);
        var (socket, socketEnded) = await OpenSocketAsync(Host, link.Id, cookie);
        var (stream, streamEnded) = await OpenLongRequestAsync(Host, link.Id, cookie, "/stream");

        Host.Clock.Offset = DevLinkPolicy.MinimumExpiry + TimeSpan.FromSeconds(1);
        var at = Stopwatch.GetTimestamp();
        try
        {
            // No expiry event is recorded (the timer is a stand-in here): the clock alone ends what is open.
            await AssertEndedWithinAsync(socketEnded, at, "the expired link's WebSocket");
            await AssertEndedWithinAsync(streamEnded, at, "the expired link's streamed answer");
        }
        finally
        {
            Host.Clock.Offset = TimeSpan.Zero;
        }

        socket.Dispose();
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Taking_a_surface_off_a_link_closes_its_tunnels_on_that_surface_and_leaves_the_others()
    {
        var (link, cookie) = await OpenedAsync(["Web", "WebSockets"]);
        var (socket, socketEnded) = await OpenSocketAsync(Host, link.Id, cookie);
        var (stream, streamEnded) = await OpenLongRequestAsync(Host, link.Id, cookie, "/stream");

        await (await Host.ApiAs("dev").PutAsJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/surfaces", WebOnly, Http.Json))
            .AssertStatusAsync(HttpStatusCode.OK);
        var at = Stopwatch.GetTimestamp();

        await AssertEndedWithinAsync(socketEnded, at, "a WebSocket on the surface taken away");
        Assert.False(await Task.WhenAny(streamEnded, Task.Delay(Limit)) == streamEnded, "the web stream was closed too");
        socket.Dispose();
        await stream.DisposeAsync();
    }
}
