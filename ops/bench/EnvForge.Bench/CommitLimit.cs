using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EnvForge.Projections.Infrastructure;
using Npgsql;

namespace EnvForge.Bench;

/// <summary>
/// The physical limit the write path is judged against: PostgreSQL committing one single-row INSERT per transaction, at
/// the same client count, on the same server and database, in the same run. pgbench (C, one connection per client)
/// when installed; otherwise a raw Npgsql loop in the bench process (prepared statement, autocommit), which spends more
/// client CPU and so reads a little lower.
/// </summary>
internal sealed partial class CommitLimit(string connectionString, string database, string method, string dataDirectory)
{
    private const string Table = "bench_commit_limit";

    public string Describe => (method == "pgbench"
        ? $"pgbench -n -c N -j min(N,{Environment.ProcessorCount}), one INSERT INTO {Table} per transaction"
        : $"raw Npgsql loop, one prepared INSERT INTO {Table} per transaction (autocommit), one connection per client")
        + $"; sslmode {SslMode.ToString().ToLowerInvariant()}, as the API's connections";

    /// <summary>The transport the API's connections use (<see cref="WritePath.Connection"/>), so the limit is measured over the same.</summary>
    private SslMode SslMode => new NpgsqlConnectionStringBuilder(connectionString).SslMode;

    public static async Task<CommitLimit> CreateAsync(string given, string database, string method, string dataDirectory)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(given)
        {
            SslMode = new NpgsqlConnectionStringBuilder(WritePath.Connection(given)).SslMode,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (id bigserial PRIMARY KEY, client int NOT NULL, at timestamptz NOT NULL DEFAULT now())", connection);
        await create.ExecuteNonQueryAsync();
        return new CommitLimit(connectionString, database, method, dataDirectory);
    }

    public Task<PhaseResult> RunAsync(int clients, TimeSpan duration) =>
        method == "pgbench" ? PgbenchAsync(clients, duration) : NpgsqlAsync(clients, duration);

    private async Task<PhaseResult> NpgsqlAsync(int clients, TimeSpan duration)
    {
        var connections = new NpgsqlConnection[clients];
        var commands = new NpgsqlCommand[clients];
        for (var c = 0; c < clients; c++)
        {
            connections[c] = new NpgsqlConnection(connectionString);
            await connections[c].OpenAsync();
            commands[c] = new NpgsqlCommand($"INSERT INTO {Table} (client) VALUES ($1)", connections[c]) { Parameters = { new() { Value = c } } };
            await commands[c].PrepareAsync();
        }

        try
        {
            await using var server = ProcessCpu.ForDatabase(database);
            using var self = Process.GetCurrentProcess();
            var bench = self.TotalProcessorTime;
            var result = await ClosedLoop.RunAsync(clients, duration, async client =>
            {
                await commands[client].ExecuteNonQueryAsync();
                return true;
            });
            self.Refresh();
            return result with
            {
                Cpu = (self.TotalProcessorTime - bench, TimeSpan.Zero),
                DatabaseCpu = server is null ? null : await server.StopAsync(),
            };
        }
        finally
        {
            for (var c = 0; c < clients; c++)
            {
                await commands[c].DisposeAsync();
                await connections[c].DisposeAsync();
            }
        }
    }

    private async Task<PhaseResult> PgbenchAsync(int clients, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var script = Path.Combine(dataDirectory, "commit-limit.sql");
        await File.WriteAllTextAsync(script, $"INSERT INTO {Table} (client) VALUES (:client_id);\n");
        var logPrefix = Path.Combine(dataDirectory, $"pgbench-{clients}-{Environment.TickCount64}");
        var start = new ProcessStartInfo(BenchOptions.DefaultPgbench)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-n", "-c", $"{clients}", "-j", $"{Math.Min(clients, Environment.ProcessorCount)}", "-T", $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}",
            "-f", script, "-l", $"--log-prefix={logPrefix}", "-h", builder.Host!, "-p", $"{builder.Port}", "-U", builder.Username!, builder.Database!,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = builder.Password ?? "";
        start.Environment["PGSSLMODE"] = SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        await using var server = ProcessCpu.ForDatabase(database);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start pgbench");
        await using var own = ProcessCpu.ForProcess(process.Id);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var (text, error) = (await output, await errors);
        var benchCpu = own is null ? TimeSpan.Zero : await own.StopAsync();
        var databaseCpu = server is null ? (TimeSpan?)null : await server.StopAsync();
        if (process.ExitCode != 0 || Tps().Match(text) is not { Success: true } tps)
        {
            throw new InvalidOperationException($"pgbench failed ({process.ExitCode}): {error.Trim()} {text.Trim()}");
        }

        // One line per transaction: client, transaction number, latency in microseconds, ...
        var latencies = new List<long>();
        foreach (var log in Directory.GetFiles(dataDirectory, Path.GetFileName(logPrefix) + ".*"))
        {
            foreach (var line in await File.ReadAllLinesAsync(log))
            {
                var fields = line.Split(' ');
                if (fields.Length > 2 && long.TryParse(fields[2], CultureInfo.InvariantCulture, out var micros))
                {
                    latencies.Add(micros * Stopwatch.Frequency / 1_000_000);
                }
            }

            File.Delete(log);
        }

        var rate = double.Parse(tps.Groups["tps"].Value, CultureInfo.InvariantCulture);
        return new PhaseResult(latencies.Count, 0, TimeSpan.FromSeconds(latencies.Count / Math.Max(rate, 1e-9)), [.. latencies])
        {
            Cpu = (benchCpu, TimeSpan.Zero),
            DatabaseCpu = databaseCpu,
        };
    }

    [GeneratedRegex(@"tps = (?<tps>[0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();
}
