using Npgsql;

namespace EnvForge.Bench;

/// <summary>A fresh database per run, so figures never depend on what an earlier run left behind; dropped at the end.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private BenchDatabase(string admin, string connectionString, string name, string serverVersion)
    {
        _admin = admin;
        ConnectionString = connectionString;
        Name = name;
        ServerVersion = serverVersion;
    }

    public string ConnectionString { get; }

    public string Name { get; }

    public string ServerVersion { get; }

    public static async Task<BenchDatabase> CreateAsync(string adminConnectionString)
    {
        var name = $"envforge_bench_{DateTime.UtcNow:yyyyMMdd_HHmmss}_{Environment.ProcessId}";
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
        return new BenchDatabase(adminConnectionString, connectionString, name, admin.PostgreSqlVersion.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        // FORCE: a killed API process can leave a backend behind for a moment. An autovacuum worker on the seeded tables is a
        // superuser backend this role may not end (42501): wait for it a while, then say how to drop the database by hand.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin) { CommandTimeout = 600 };
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 60)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                Console.Error.WriteLine($"could not drop the bench database {Name} ({e.MessageText}); drop it with: DROP DATABASE \"{Name}\" WITH (FORCE)");
                return;
            }
        }
    }
}
