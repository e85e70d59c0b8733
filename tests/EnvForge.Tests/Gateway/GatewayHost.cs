using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Gateway;

/// <summary>The system clock moved by <see cref="Offset"/>; timers stay real, so the directory feed keeps polling.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

/// <summary>Keeps every log line the host writes (every category, at the levels the host's configuration lets through).</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {state} {exception}");
    }
}

/// <summary>A link as the API issued it: its id and its token (taken from the one URL the API shows).</summary>
public sealed record IssuedLink(Guid Id, string Token, string Url)
{
    public static IssuedLink From(IssuedDevLinkResponse response)
    {
        var at = response.Url.IndexOf("token=", StringComparison.Ordinal);
        return new IssuedLink(response.Link.Id, Uri.UnescapeDataString(response.Url[(at + "token=".Length)..]), response.Url);
    }
}

/// <summary>A raw HTTP/1.1 answer, read off the socket as it came.</summary>
public sealed record RawResponse(int Status, string Head, string Body);

/// <summary>
/// The real API with its gateway on Kestrel (a loopback port, a fresh database), a real <see cref="Upstream"/> as every
/// workspace's service (<c>Gateway:UpstreamTemplate = http://127.0.0.1:{port}</c>, the workspaces declaring the
/// upstream's port), a recording stand-in for Temporal, a movable clock and a capture of every log line. Clients reach a
/// link's host <c>{linkId:N}.links.localhost</c> by connecting to the loopback port whatever the name says.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string Domain = "links.localhost";

    private ApiFactory? _root;
    private WebApplicationFactory<Program>? _api;
    private SocketsHttpHandler? _handler;
    private SocketsHttpHandler? _http2Handler;

    private GatewayHost(Upstream upstream) => Upstream = upstream;

    public Upstream Upstream { get; }

    public RecordingWorkspaceWorkflows Workflows { get; } = new();

    public RecordingDevLinkWorkflows LinkWorkflows { get; } = new();

    public ShiftedClock Clock { get; } = new();

    public LogCapture Logs { get; } = new();

    public int Port { get; private set; }

    /// <summary>The same API on an HTTP/2-only endpoint (cleartext, prior knowledge).</summary>
    public int Http2Port { get; private set; }

    public IServiceProvider Services => _api!.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    /// <summary>Plain HTTP to the gateway port, no cookies kept, no redirects followed: the tests see every answer.</summary>
    public HttpClient Links { get; private set; } = null!;

    /// <param name="configure">More settings for the API (e.g. <c>Gateway:Scheme</c>), applied after the defaults here.</param>
    public static async Task<GatewayHost> StartAsync(string connectionString, Action<IWebHostBuilder>? configure = null)
    {
        var host = new GatewayHost(await Upstream.StartAsync());
        host._root = new ApiFactory(connectionString, services =>
        {
            services.Replace(ServiceDescriptor.Singleton<IWorkspaceWorkflows>(host.Workflows));
            services.Replace(ServiceDescriptor.Singleton<IDevLinkWorkflows>(host.LinkWorkflows));
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(host.Clock));
            services.AddSingleton<ILoggerProvider>(host.Logs);
        });
        host._api = host._root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Gateway:Domain", Domain);
            b.UseSetting("Gateway:UpstreamTemplate", "http://127.0.0.1:{port}");
            // Everything a debugging operator could switch on: the token must not show up in any of it.
            b.UseSetting("Logging:LogLevel:Default", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            b.UseSetting("Logging:LogLevel:Yarp", "Trace");
            b.UseSetting("Logging:LogLevel:System.Net.Http", "Trace");
            // And the most specific categories, which win over any broader rule the gateway might set.
            b.UseSetting("Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.Connections", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.Http2", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Trace");
            configure?.Invoke(b);
        });
        host._api.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            // HTTP/2 without TLS (prior knowledge) is only spoken on an endpoint of its own: for extended CONNECT.
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        });
        host._api.StartServer();
        var addresses = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.ToList();
        host.Port = new Uri(addresses[0]).Port;
        host.Http2Port = new Uri(addresses[1]).Port;
        host._handler = Handler(host.Port);
        host._http2Handler = Handler(host.Http2Port);
        host.Links = new HttpClient(host._handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) };
        return host;
    }

    /// <summary>Whatever host name a URL carries (a link's host), connect to the gateway's loopback <paramref name="port"/>.</summary>
    private static SocketsHttpHandler Handler(int port) => new()
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>The API itself (not a link host), as the given user.</summary>
    public HttpClient ApiAs(string subject) => new(_handler!, disposeHandler: false)
    {
        BaseAddress = new Uri($"http://127.0.0.1:{Port}"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.Token(subject)) },
    };

    public Uri LinkUri(Guid linkId, string pathAndQuery, string scheme = "http") => new($"{scheme}://{linkId:N}.{Domain}:{Port}{pathAndQuery}");

    public static string LinkHost(Guid linkId) => $"{linkId:N}.{Domain}";

    /// <summary>An org owned by <paramref name="owner"/>.</summary>
    public async Task<Guid> OrgAsync(string owner)
    {
        var response = await ApiAs(owner).PostJsonAsync("/orgs", new { name = $"{owner}-org" });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return (await response.ReadAsync<OrganizationResponse>()).Id;
    }

    /// <summary>
    /// A provisioned workspace, appended as its events: created with a "web" service on the upstream's port, placed,
    /// ready, and (unless <paramref name="awake"/> is false) woken.
    /// </summary>
    public async Task<Guid> WorkspaceAsync(Guid orgId, bool awake = true)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        var instance = $"i-{id.ToString("N")[..17]}";
        List<IWorkspaceEvent> events =
        [
            new WorkspaceCreated(id, orgId, $"ws-{id.ToString("N")[..8]}", "https://git.example.com/acme/app", "main",
                [new ServiceSpec("web", Upstream.Port), new ServiceSpec("admin", 1)], [], "seed", now),
            new WorkspacePlaced(id, orgId, instance, "eu-west-1", "seed", now),
            new WorkspaceReady(id, orgId, ["ec2-running", "ssm-online"], "seed", now),
        ];
        if (awake)
        {
            events.Add(new WorkspaceWoke(id, orgId, WakeTrigger.Api, [], "seed", now));
        }

        await using var session = Store.LightweightSession();
        session.Events.StartStream<Workspace>(id, [.. events]);
        await session.SaveChangesAsync();
        return id;
    }

    public async Task<IssuedLink> IssueAsync(string subject, Guid orgId, Guid workspaceId, string[] surfaces, int expiresInMinutes = 60, string service = "web")
    {
        var response = await ApiAs(subject).PostJsonAsync($"/orgs/{orgId}/workspaces/{workspaceId}/dev-links", new { service, surfaces, expiresInMinutes });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return IssuedLink.From(await response.ReadAsync<IssuedDevLinkResponse>());
    }

    /// <summary><c>/__envforge/open?token=</c> on <paramref name="host"/> (the link's own host unless told otherwise).</summary>
    public Task<HttpResponseMessage> OpenAsync(Guid linkId, string token, string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, LinkUri(linkId, "/__envforge/open?token=" + Uri.EscapeDataString(token)));
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return Links.SendAsync(request);
    }

    /// <summary>Opens the link (waiting, with a deadline, for the gateway's directory to learn of it) and returns the session cookie.</summary>
    public async Task<string> SessionAsync(IssuedLink link)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await OpenAsync(link.Id, link.Token);
            if (response.StatusCode == HttpStatusCode.SeeOther)
            {
                Assert.Equal("/", response.Headers.Location?.OriginalString);
                return SessionCookie(response) ?? throw new InvalidOperationException("303 without a session cookie");
            }

            Assert.True(DateTime.UtcNow < deadline, $"the link never opened: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(20);
        }
    }

    /// <summary>The value of the <c>ef_link</c> cookie a response sets, if any.</summary>
    public static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Where(c => c.StartsWith("ef_link=", StringComparison.Ordinal)).Select(c => c["ef_link=".Length..].Split(';')[0]).FirstOrDefault()
            : null;

    public Task<HttpResponseMessage> GetAsync(Guid linkId, string pathAndQuery, string? cookie, string probe, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, LinkUri(linkId, pathAndQuery));
        request.Headers.Add("X-Probe", probe);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"ef_link={cookie}");
        }

        configure?.Invoke(request);
        return Links.SendAsync(request);
    }

    /// <summary>Polls with a deadline until a request with the session is answered with <paramref name="status"/> (the directory feed is a poll behind).</summary>
    public async Task<HttpResponseMessage> EventuallyAsync(Guid linkId, string path, string? cookie, string probe, HttpStatusCode status, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var response = await GetAsync(linkId, path, cookie, probe);
            if (response.StatusCode == status)
            {
                return response;
            }

            Assert.True(DateTime.UtcNow < deadline, $"expected {(int)status}, still {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            response.Dispose();
            await Task.Delay(20);
        }
    }

    /// <summary>A WebSocket through the gateway to <paramref name="path"/> on the link's host.</summary>
    /// <param name="http2">Over the HTTP/2 endpoint, as an extended CONNECT (RFC 8441), instead of an HTTP/1.1 upgrade.</param>
    public async Task<ClientWebSocket> WebSocketAsync(
        Guid linkId, string path, string? cookie, string probe, Action<ClientWebSocketOptions>? configure = null, bool http2 = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Probe", probe);
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", $"ef_link={cookie}");
        }

        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        if (http2)
        {
            socket.Options.HttpVersion = HttpVersion.Version20;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        var uri = new Uri($"ws://{linkId:N}.{Domain}:{(http2 ? Http2Port : Port)}{path}");
        await socket.ConnectAsync(uri, new HttpMessageInvoker(http2 ? _http2Handler! : _handler!, disposeHandler: false), CancellationToken.None);
        return socket;
    }

    /// <summary>A raw connection to the gateway's port: nothing between the test and the socket normalizes what is sent.</summary>
    public Task<RawConnection> ConnectAsync() => RawConnection.OpenAsync(Port);

    /// <summary>Sends <paramref name="request"/> byte for byte (nothing normalizes it) and reads the answer until the server closes.</summary>
    public async Task<RawResponse> RawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
            var sofar = Encoding.Latin1.GetString(received.ToArray());
            if (sofar.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal) && sofar.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                break; // switched protocols: the connection is a tunnel now, and stays open
            }
        }

        var text = Encoding.Latin1.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = head.Length >= 12 && head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(head[9..12], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return new RawResponse(status, head, split < 0 ? "" : text[(split + 4)..]);
    }

    /// <summary>A GET with the exact request target, to the link's host, with its session cookie and the probe.</summary>
    public Task<RawResponse> RawGetAsync(string target, string host, string? cookie, string probe, string extraHeaders = "") =>
        RawAsync($"GET {target} HTTP/1.1\r\nHost: {host}\r\nX-Probe: {probe}\r\n"
            + (cookie is null ? "" : $"Cookie: ef_link={cookie}\r\n") + extraHeaders + "Connection: close\r\n\r\n");

    public async ValueTask DisposeAsync()
    {
        Links?.Dispose();
        _handler?.Dispose();
        _http2Handler?.Dispose();
        if (_root is not null)
        {
            await _root.DisposeAsync();
        }

        await Upstream.DisposeAsync();
    }
}
