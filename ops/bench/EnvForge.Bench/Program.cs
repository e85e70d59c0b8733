using System.Net.Http.Headers;
using System.Security.Cryptography;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Bench;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.IdentityModel.Tokens;

// The API's add-member command vs PostgreSQL's single-row commit limit and raw Marten appends, or (`gateway`) the dev-link gateway vs its upstream reached
// directly, on this machine, in one run. See ops/bench.sh.
if (args is [BareForwarder.Mode, ..])
{
    return await BareForwarder.RunAsync(args[1..]);
}

if (args.Contains(WalletBenchmark.Mode))
{
    return await WalletBenchmark.RunAsync(args);
}

if (args is [Upstream.Mode, ..])
{
    return await Upstream.RunAsync(args[1..]);
}

if (args.Contains(AuditBenchmark.Mode))
{
    return await AuditBenchmark.RunAsync(args);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var server = Environment.GetEnvironmentVariable("ENVFORGE_PG");
if (string.IsNullOrWhiteSpace(server))
{
    Console.Error.WriteLine("ENVFORGE_PG is not set: a connection string for a role that may CREATE DATABASE (ops/bench.sh sets it).");
    return 2;
}

var dataDirectory = Directory.CreateTempSubdirectory("envforge-bench-").FullName;
try
{
    await using var database = await BenchDatabase.CreateAsync(server);
    var (text, nonSuccess) = options.Mode == BenchMode.Gateway
        ? await GatewayAsync(options, database, dataDirectory)
        : await WriteAsync(options, database, dataDirectory);
    // Printed before the database is dropped: on a busy machine the drop can wait long for a checkpoint.
    Console.Write(text);
    Directory.Delete(dataDirectory, recursive: true);
    return nonSuccess == 0 ? 0 : 1;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"bench failed: {ex}");
    Console.Error.WriteLine($"logs: {Path.Combine(dataDirectory, "api.log")} (and bare-forwarder.log in gateway mode)");
    return 1;
}

static async Task<(string Text, long NonSuccess)> GatewayAsync(BenchOptions options, BenchDatabase database, string dataDirectory)
{
    var report = await GatewayBenchmark.RunAsync(options, database, dataDirectory);
    return (report.Render(), report.NonSuccess);
}

static async Task<(string Text, long NonSuccess)> WriteAsync(BenchOptions options, BenchDatabase database, string dataDirectory)
{
    var report = await RunAsync(options, database, dataDirectory);
    return (report.Render(), report.NonSuccess);
}

static async Task<Report> RunAsync(BenchOptions options, BenchDatabase database, string dataDirectory)
{
    using var store = DocumentStore.For(o => EventStore.Configure(o, database.ConnectionString));
    // Create the schema here, once, so the API's start-up migration finds nothing to do and cannot race us.
    await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

    var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    await using var api = await ApiProcess.StartAsync(options.ApiDll, database.ConnectionString, signingKey, options.Daemon, dataDirectory);
    await using var baselineApi = options.BaselineApiDll is { } baselineDll
        ? await ApiProcess.StartAsync(baselineDll, database.ConnectionString, signingKey, options.Daemon, Directory.CreateDirectory(Path.Combine(dataDirectory, "baseline")).FullName)
        : null;

    var authOptions = new AuthOptions { LocalSigningKey = signingKey };
    var key = new SymmetricSecurityKey(Convert.FromBase64String(signingKey)) { KeyId = "local-1" };
    var token = LocalTokens.Mint(key, authOptions, OrgSupply.Owner, "Bench Owner", DateTimeOffset.UtcNow, TimeSpan.FromHours(4));
    HttpClient ClientOf(ApiProcess process)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Clients.Max(),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            UseCookies = false,
        })
        {
            BaseAddress = process.BaseAddress,
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    using var http = ClientOf(api);
    using var baselineHttp = baselineApi is null ? null : ClientOf(baselineApi);
    var bench = new WriteBenchmark(store, http, () => api.CpuTime, database.Name);
    var baseline = baselineApi is null ? null : new WriteBenchmark(store, baselineHttp!, () => baselineApi.CpuTime, database.Name);
    var limit = await CommitLimit.CreateAsync(database.ConnectionString, database.Name, options.Limit, dataDirectory);
    var supplies = options.MembersPerOrg.Distinct().Select(members => new OrgSupply(store, members)).ToList();
    var report = new Report(options, database.ServerVersion, api.CommandLine, limit.Describe);
    var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
    var measure = TimeSpan.FromSeconds(options.Seconds);
    foreach (var clients in options.Clients)
    {
        Console.Error.WriteLine($"==> {clients} client(s): warm-up, then {options.Rounds} x (limit, raw and api per org size) of {options.Seconds} s");
        report.CountWarmup(await limit.RunAsync(clients, warmup));
        foreach (var supply in supplies)
        {
            report.CountWarmup(await bench.RawAppendAsync(supply, clients, warmup));
            report.CountWarmup(await bench.ApiAddMemberAsync(supply, clients, warmup));
            if (baseline is not null)
            {
                report.CountWarmup(await baseline.ApiAddMemberAsync(supply, clients, warmup));
            }
        }

        var row = report.Add(clients, await bench.AliveAsync(clients, warmup));
        if (clients == options.Clients[0])
        {
            // After the first warm-ups, so start-up work (JIT, tiering) is not counted as idle.
            report.Idle = await bench.IdleAsync(TimeSpan.FromSeconds(3));
        }

        // Interleaved, so drift on a noisy machine (other tenants, checkpoints, autovacuum) hits every side alike.
        for (var round = 0; round < options.Rounds; round++)
        {
            Console.Error.WriteLine($"    round {round + 1}: limit");
            row.Limit.Add(await limit.RunAsync(clients, measure));
            foreach (var supply in supplies)
            {
                Console.Error.WriteLine($"    round {round + 1}: raw, {supply.MembersPerOrg} members");
                row.Sizes[supply.MembersPerOrg].Raw.Add(await bench.RawAppendAsync(supply, clients, measure));
                Console.Error.WriteLine($"    round {round + 1}: api, {supply.MembersPerOrg} members");
                row.Sizes[supply.MembersPerOrg].Api.Add(await bench.ApiAddMemberAsync(supply, clients, measure));
                if (baseline is not null)
                {
                    Console.Error.WriteLine($"    round {round + 1}: api baseline, {supply.MembersPerOrg} members");
                    row.Sizes[supply.MembersPerOrg].Baseline.Add(await baseline.ApiAddMemberAsync(supply, clients, measure));
                }
            }
        }
    }

    report.Refusals = [.. bench.Refusals.Select(r => ("API", r.Key, r.Value)), .. (baseline?.Refusals ?? new Dictionary<string, long>()).Select(r => ("baseline API", r.Key, r.Value))];
    report.Overflow = supplies.Sum(s => s.Overflow);
    report.Seeding = TimeSpan.FromTicks(supplies.Sum(s => s.Seeding.Ticks));
    return report;
}
