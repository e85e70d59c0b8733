using System.Net.Http.Headers;
using EnvForge.Api.Infrastructure.Auth;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Tests.Infrastructure;

/// <summary>
/// The real API host (Kestrel-less test server) on its own database, with the embedded-default local issuer
/// and no Temporal server. <see cref="ClientFor"/> mints a token for any user, as the local issuer would.
/// </summary>
public sealed class ApiFactory(string connectionString, Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public static readonly AuthOptions Auth = new() { LocalSigningKey = SigningKey };

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("envforge-test-").FullName;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Marten", connectionString);
        builder.UseSetting("Auth:LocalSigningKey", SigningKey);
        builder.UseSetting("Auth:PasswordHashCost", "4"); // the first owner's hash at every host start: cheap in tests
        builder.UseSetting("Temporal:Address", "");
        builder.UseSetting("Temporal:StartLocalDevServer", "false");
        builder.UseSetting("ENVFORGE_DATA_DIR", _dataDirectory);
        builder.UseSetting("Infrastructure:Provider", "Aws"); // the AWS path (through stand-ins); Local tests set Local
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }

    public HttpClient ClientFor(string subject, string? name = null) => WithToken(Token(subject, name));

    public HttpClient WithToken(string? token)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public static string Token(string subject, string? name = null, TimeSpan? lifetime = null, DateTimeOffset? now = null, AuthOptions? options = null, string? key = null) =>
        LocalTokens.Mint(
            new SymmetricSecurityKey(Convert.FromBase64String(key ?? SigningKey)) { KeyId = "local-1" },
            options ?? Auth,
            subject,
            name,
            now ?? DateTimeOffset.UtcNow,
            lifetime ?? TimeSpan.FromMinutes(10));

    /// <summary>Waits for the async projections (the audit trail) to catch up, with a deadline; never a sleep.</summary>
    public Task CatchUpAsync() => Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}

/// <summary>Base for API test classes: one database and one host per class.</summary>
public abstract class ApiTestBase(PostgresServer postgres) : IAsyncLifetime
{
    private ApiFactory? _api;

    protected ApiFactory Api => _api ?? throw new InvalidOperationException("not initialized");

    public virtual async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(GetType().Name);
        _api = new ApiFactory(connectionString, ConfigureServices);
        _ = _api.Server; // start the host now, so the first request in a test is not a cold start
    }

    /// <summary>Replace services for this class's host (for stand-ins of what cannot run here).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
