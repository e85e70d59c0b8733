using System.Collections.Concurrent;
using DotNet.Testcontainers.Builders;
using Npgsql;
using Testcontainers.PostgreSql;

[assembly: AssemblyFixture(typeof(EnvForge.Tests.Infrastructure.PostgresServer))]

namespace EnvForge.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL per test run: a Testcontainers container on the local Docker engine (image from
/// ENVFORGE_TEST_PG_IMAGE, built by ops/test.sh), or an existing server named by ENVFORGE_TEST_PG.
/// Each test class gets its own database; on an existing server they are dropped when the run ends (set
/// ENVFORGE_TEST_KEEP_DATABASES=1 to keep them for a look). Where neither can be had, database tests are reported as skipped
/// with the reason, unless ENVFORGE_REQUIRE_DATABASE=1 (CI), where that is a failure.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private PostgreSqlContainer? _container;
    private string? _adminConnectionString;
    private string? _unavailable;
    private int _databases;
    private readonly ConcurrentQueue<string> _created = new();

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("ENVFORGE_TEST_PG") is { Length: > 0 } existing)
        {
            _adminConnectionString = existing;
            return;
        }

        try
        {
            var image = Environment.GetEnvironmentVariable("ENVFORGE_TEST_PG_IMAGE") is { Length: > 0 } i ? i : "envforge/postgres:15";
            _container = new PostgreSqlBuilder()
                .WithImage(image)
                .WithUsername("envforge")
                .WithPassword("envforge-test")
                .WithDatabase("postgres")
                // Test classes run in parallel, each with its own database, API host, daemon and group-commit pool:
                // PostgreSQL's default of 100 connections runs out (53300 "too many clients") with the whole suite.
                .WithCommand("-c", "max_connections=600")
                // The default exec-based readiness probe hangs against the Docker engine on these machines.
                .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("database system is ready to accept connections"))
                .Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await _container.StartAsync(timeout.Token);
            _adminConnectionString = _container.GetConnectionString();
            await WaitUntilAcceptingAsync(_adminConnectionString);
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_DATABASE") != "1")
        {
            _unavailable = $"no PostgreSQL for tests: Docker/Testcontainers failed ({ex.GetType().Name}: {ex.Message}). Run ops/test.sh, or set ENVFORGE_TEST_PG.";
        }
    }

    /// <summary>A fresh, empty database for one test class. Skips the calling test when no server can be had.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        if (_adminConnectionString is null)
        {
            Assert.Skip(_unavailable ?? "no PostgreSQL for tests");
        }

        var name = $"{prefix.ToLowerInvariant()}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        _created.Enqueue(name);
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task WaitUntilAcceptingAsync(string connectionString)
    {
        // The "ready" log line is printed by the init pass too; poll with a deadline until a real connection works.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync(); // the databases go with the container
            return;
        }

        if (_adminConnectionString is null || Environment.GetEnvironmentVariable("ENVFORGE_TEST_KEEP_DATABASES") == "1")
        {
            return;
        }

        // A developer's own server: thousands of leftover databases make every later crash recovery fsync them all.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        while (_created.TryDequeue(out var name))
        {
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (PostgresException)
            {
                // Still in use by a process a test left running: kept, like ENVFORGE_TEST_KEEP_DATABASES would.
            }
        }
    }
}
