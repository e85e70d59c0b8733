using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using EnvForge.Tests.Gateway;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
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

namespace EnvForge.Tests.Local;

/// <summary>
/// The real API and its gateway on Kestrel (a loopback port, a fresh database) as the Local provider deploys it, with
/// recording stand-ins for the Temporal client (no server can be had here: the test runs the activities itself, in the
/// workflows' order) and a capture of every log line at every level. Link hosts are reached through the loopback port.
/// </summary>
public sealed class LocalApiHost : IAsyncDisposable
{
    public const string Domain = "links.localhost";

    private ApiFactory? _root;
    private WebApplicationFactory<Program>? _api;
    private SocketsHttpHandler? _handler;

    public RecordingWorkspaceWorkflows Workflows { get; } = new();

    public RecordingElevationWorkflows Elevations { get; } = new();

    public RecordingDevLinkWorkflows LinkWorkflows { get; } = new();

    public LogCapture Logs { get; } = new();

    public int Port { get; private set; }

    public IServiceProvider Services => _api!.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public HttpClient Links { get; private set; } = null!;

    public static LocalApiHost Start(string connectionString)
    {
        var host = new LocalApiHost();
        host._root = new ApiFactory(connectionString, services =>
        {
            services.Replace(ServiceDescriptor.Singleton<IWorkspaceWorkflows>(host.Workflows));
            services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(host.Elevations));
            services.Replace(ServiceDescriptor.Singleton<IDevLinkWorkflows>(host.LinkWorkflows));
            services.AddSingleton<ILoggerProvider>(host.Logs);
        });
        host._api = host._root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Infrastructure:Provider", "Local");
            b.UseSetting("Gateway:Domain", Domain);
            b.UseSetting("Logging:LogLevel:Default", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            b.UseSetting("Logging:LogLevel:Yarp", "Trace");
            b.UseSetting("Logging:LogLevel:System.Net.Http", "Trace");
        });
        host._api.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        host._api.StartServer();
        host.Port = new Uri(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        host._handler = new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, host.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        host.Links = new HttpClient(host._handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        return host;
    }

    public HttpClient As(string subject) => new(_handler!, disposeHandler: false)
    {
        BaseAddress = new Uri($"http://127.0.0.1:{Port}"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.Token(subject)) },
        Timeout = TimeSpan.FromMinutes(2),
    };

    public static Uri LinkUri(Guid linkId, string pathAndQuery, string scheme = "http") => new($"{scheme}://{linkId:N}.{Domain}{pathAndQuery}");

    public Task<HttpResponseMessage> GetLinkAsync(Guid linkId, string pathAndQuery, string? cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, LinkUri(linkId, pathAndQuery));
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"ef_link={cookie}");
        }

        return Links.SendAsync(request);
    }

    public async Task<ClientWebSocket> WebSocketAsync(Guid linkId, string path, string cookie)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", $"ef_link={cookie}");
        await socket.ConnectAsync(LinkUri(linkId, path, "ws"), new HttpMessageInvoker(_handler!, disposeHandler: false), CancellationToken.None);
        return socket;
    }

    /// <summary>The status of a GET with exactly this request target (nothing normalizes it), to the link's host.</summary>
    public async Task<int> RawStatusAsync(Guid linkId, string target, string cookie)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.Latin1.GetBytes(
            $"GET {target} HTTP/1.1\r\nHost: {linkId:N}.{Domain}\r\nCookie: ef_link={cookie}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
        var status = await reader.ReadLineAsync() ?? "";
        return status.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(status[9..12], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public async ValueTask DisposeAsync()
    {
        Links?.Dispose();
        _handler?.Dispose();
        if (_root is not null)
        {
            await _root.DisposeAsync();
        }
    }
}
