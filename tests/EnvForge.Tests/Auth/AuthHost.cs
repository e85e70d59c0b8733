using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Tests.Gateway;
using EnvForge.Tests.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Auth;

/// <summary>
/// The real API with its embedded OIDC provider on Kestrel (a loopback port chosen once, so the issuer stays the same
/// across restarts), a data directory of its own (signing keys survive a restart, as in production), a movable clock,
/// every log line captured at Trace, and the first owner's one-time password captured from the console line it is
/// printed on.
/// </summary>
public sealed class AuthHost : IAsyncDisposable
{
    private readonly string _connectionString;
    private ApiFactory? _root;
    private WebApplicationFactory<Program>? _api;

    private AuthHost(string connectionString, string dataDirectory, int port)
    {
        _connectionString = connectionString;
        DataDirectory = dataDirectory;
        Port = port;
    }

    public string DataDirectory { get; }

    public string ConnectionString => _connectionString;

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public ShiftedClock Clock { get; } = new();

    public LogCapture Logs { get; } = new();

    public StringWriter Console { get; } = new();

    public IServiceProvider Services => _api!.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public static async Task<AuthHost> StartAsync(string connectionString)
    {
        var host = new AuthHost(connectionString, Directory.CreateTempSubdirectory("envforge-auth-").FullName, FreePort());
        await host.StartAsync();
        return host;
    }

    /// <summary>Stops the API and starts it again on the same database, port and data directory (after a key rotation, say).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    private Task StartAsync()
    {
        _root = new ApiFactory(_connectionString, services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
            services.Replace(ServiceDescriptor.Singleton(new InitialPasswordOutput(Console)));
            services.AddSingleton<ILoggerProvider>(Logs);
        });
        _api = _root.WithWebHostBuilder(b =>
        {
            b.UseSetting("ENVFORGE_DATA_DIR", DataDirectory);
            b.UseSetting("Auth:Issuer", BaseAddress.AbsoluteUri);
            b.UseSetting("Auth:PasswordHashCost", "6"); // production's 11 costs seconds on a loaded test machine
            // Everything a debugging operator could switch on: no token or password may show up in any of it.
            b.UseSetting("Logging:LogLevel:Default", "Trace");
            b.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Trace");
            b.UseSetting("Logging:LogLevel:OpenIddict", "Trace");
            b.UseSetting("Logging:LogLevel:System.Net.Http", "Trace");
        });
        _api.UseKestrel(k => k.Listen(IPAddress.Loopback, Port));
        _api.StartServer();
        return Task.CompletedTask;
    }

    private async Task StopAsync()
    {
        if (_root is not null)
        {
            await _root.DisposeAsync(); // disposes the derived factory's host too
        }

        _api = null;
        _root = null;
    }

    /// <summary>The password printed at first start (from the console line, the only place it ever appears).</summary>
    public string InitialOwnerPassword()
    {
        var lines = Console.ToString().Split('\n');
        var at = Array.FindIndex(lines, l => l.Contains("created with the one-time password", StringComparison.Ordinal));
        Assert.True(at >= 0, "no one-time password was printed");
        return lines.Skip(at + 1).Select(l => l.Trim()).First(l => l.Length > 0);
    }

    /// <summary>A client of the API with <paramref name="accessToken"/> as its bearer token.</summary>
    public HttpClient Api(string? accessToken) => new()
    {
        BaseAddress = BaseAddress,
        DefaultRequestHeaders = { Authorization = accessToken is null ? null : new AuthenticationHeaderValue("Bearer", accessToken) },
    };

    /// <summary>A client with an operator token (ops/token.sh's kind), for set-up steps.</summary>
    public HttpClient Operator(string subject) => Api(ApiFactory.Token(subject));

    public Browser Browser() => new(BaseAddress);

    public OidcClient Oidc(string clientId = EmbeddedProvider.CliClientId) => new(BaseAddress, clientId);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(DataDirectory, recursive: true);
    }
}
