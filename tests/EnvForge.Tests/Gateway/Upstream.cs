using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Gateway;

/// <summary>One request as the upstream received it, headers included.</summary>
public sealed record UpstreamRequest(string Method, string RawTarget, string Path, string Host, IReadOnlyDictionary<string, string> Headers, bool WebSocket)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A workspace's service, as the gateway reaches it: a real Kestrel app on a loopback port that answers any path, echoes
/// <c>/api/echo</c>, serves <c>/assets/app.js</c>, echoes WebSocket messages on <c>/ws</c>, accepts any other HTTP/1.1
/// upgrade on <c>/raw-upgrade</c> as a byte echo, answers <c>/hostile-cookies</c> with cookies and headers meant for other
/// links, streams a line every 50 ms on <c>/stream</c>, answers <c>/slow</c> only after a minute, and records every request
/// it receives. <see cref="LongRequests"/> counts the WebSockets, streams and slow answers still open on its side.
/// </summary>
public sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Upstream(WebApplication app) => _app = app;

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    public int Port { get; private set; }

    private int _longRequests;

    /// <summary>WebSockets, streams and slow answers the upstream is serving right now (the gateway's leg of each still open).</summary>
    public int LongRequests => Volatile.Read(ref _longRequests);

    /// <summary>Set-Cookie values <c>/hostile-cookies</c> sends that the gateway must pass back to the browser unchanged.</summary>
    public static readonly string[] HarmlessCookies = ["app=1; Path=/", "theme=dark; Path=/docs; SameSite=Lax; HttpOnly"];

    /// <summary>
    /// Set-Cookie values <c>/hostile-cookies</c> sends that would reach or shadow other links' cookies: a Domain (the parent of
    /// every link, or this link's own host, which covers names below it), an empty name (sent back as a bare value that reads
    /// as <c>ef_link=...</c>), the session cookie's name in any case, padding or prefix, and names the gateway reserves.
    /// </summary>
    public static readonly string[] HostileCookies =
    [
        "=ef_link=garbage; Path=/",
        "ef_link",
        " =x",
        "shared=1; Domain=links.localhost; Path=/",
        "shared2=1; path=/; domain=.links.localhost",
        "shared3=1; Path=/; DOMAIN=localhost",
        "shared4=1; Domain=",
        "ef_link=planted; Path=/",
        "EF_Link=planted; Path=/",
        " ef_link =planted",
        "ef_link\t=planted",
        "__Host-ef_link=planted; Secure; Path=/",
        "__Secure-ef_link=planted; Secure; Path=/",
        "__host-EF_LINK=planted; Secure; Path=/",
        "__envforge_x=1; Path=/",
    ];

    /// <summary>Everything received carrying the probe header <c>X-Probe: {probe}</c>.</summary>
    public IReadOnlyList<UpstreamRequest> Received(string probe) => [.. Requests.Where(r => r.Header("X-Probe") == probe)];

    public static async Task<Upstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new Upstream(app);
        app.UseWebSockets();
        app.Use(async (http, next) =>
        {
            upstream.Requests.Enqueue(new UpstreamRequest(
                http.Request.Method,
                http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path,
                http.Request.Path.Value ?? "",
                http.Request.Headers.Host.ToString(),
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                http.WebSockets.IsWebSocketRequest));
            await next(http);
        });
        app.Run(upstream.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        upstream.Port = new Uri(address).Port;
        return upstream;
    }

    private async Task AnswerAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        if (path == "/ws" && http.WebSockets.IsWebSocketRequest)
        {
            Interlocked.Increment(ref _longRequests);
            try
            {
                using var socket = await http.WebSockets.AcceptWebSocketAsync();
                await EchoAsync(socket, http.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
            {
                // the gateway closed its leg
            }
            finally
            {
                Interlocked.Decrement(ref _longRequests);
            }

            return;
        }

        if (path == "/raw-upgrade" && http.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            await using var stream = await upgrade.UpgradeAsync();
            var buffer = new byte[1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
            }

            return;
        }

        if (path == "/hostile-cookies")
        {
            foreach (var cookie in HostileCookies.Concat(HarmlessCookies))
            {
                http.Response.Headers.Append("Set-Cookie", cookie);
            }

            http.Response.Headers.Append("Clear-Site-Data", "\"cookies\", \"storage\"");
        }

        if (path is "/stream" or "/slow")
        {
            await LongAsync(http, stream: path == "/stream");
            return;
        }

        if (path == "/set-cookie")
        {
            http.Response.Headers.Append("Set-Cookie", "ef_link=planted-by-upstream; Path=/");
            http.Response.Headers.Append("Set-Cookie", "EF_LINK=planted-by-upstream; Path=/");
            http.Response.Headers.Append("Set-Cookie", "app=1; Path=/");
        }

        if (path == "/api/echo")
        {
            http.Response.ContentType = "text/plain";
            using var reader = new StreamReader(http.Request.Body);
            await http.Response.WriteAsync("echo:" + await reader.ReadToEndAsync(http.RequestAborted), http.RequestAborted);
            return;
        }

        http.Response.ContentType = path.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/html";
        await http.Response.WriteAsync($"upstream {http.Request.Method} {path}", http.RequestAborted);
    }

    /// <summary><c>/stream</c>: a line every 50 ms for up to a minute. <c>/slow</c>: nothing for a minute, then an answer.</summary>
    private async Task LongAsync(HttpContext http, bool stream)
    {
        Interlocked.Increment(ref _longRequests);
        try
        {
            http.Response.ContentType = "text/plain";
            var until = DateTime.UtcNow.AddMinutes(1);
            if (!stream)
            {
                await Task.Delay(until - DateTime.UtcNow, http.RequestAborted);
                await http.Response.WriteAsync("upstream slow answer", http.RequestAborted);
                return;
            }

            while (DateTime.UtcNow < until)
            {
                await http.Response.WriteAsync("upstream tick\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                await Task.Delay(50, http.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // the gateway closed its leg
        }
        finally
        {
            Interlocked.Decrement(ref _longRequests);
        }
    }

    private static async Task EchoAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(), ct);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
