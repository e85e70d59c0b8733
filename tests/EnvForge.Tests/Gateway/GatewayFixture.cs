using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// One database, one API with its gateway and one upstream for a whole test class (tests tell their requests apart by
/// probe), started on first use from a test, so a missing database is that test's skip rather than a fixture failure.
/// </summary>
public abstract class GatewayFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public GatewayHost? Host { get; private set; }

    public async Task EnsureStartedAsync(PostgresServer postgres)
    {
        await _gate.WaitAsync();
        try
        {
            if (Host is null)
            {
                var host = await GatewayHost.StartAsync(await postgres.CreateDatabaseAsync(GetType().DeclaringType?.Name ?? GetType().Name), Configure);
                await SeedAsync(host);
                Host = host;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Settings of the class's own (e.g. links published as https); none by default.</summary>
    protected virtual void Configure(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
    }

    /// <summary>The orgs, members, workspaces and links the class's tests share.</summary>
    protected abstract Task SeedAsync(GatewayHost host);

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        _gate.Dispose();
        GC.SuppressFinalize(this);
    }
}
