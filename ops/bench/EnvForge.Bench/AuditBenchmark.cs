using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Bench;

/// <summary>
/// <c>ops/bench.sh audit</c>: seeds a million-entry trail (one org holding <c>--entries</c>, plus smaller orgs), then
/// measures, on this machine in one run: the raw Marten append rate of the seed and the audit projection's rate building
/// the trail from it; p50/p95/p99 of every support query shape through the real API; a full export of the big org
/// (entries/s, the API process's peak resident and private memory, for half the trail and for all of it) and its offline
/// verification; and a rebuild of the trail.
/// Goals (issue 13): every query shape p95 under 50 ms at 1M entries; the 1M export under 60 s in under 200 MB.
/// </summary>
internal static class AuditBenchmark
{
    public const string Mode = "audit";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args);
        var server = Environment.GetEnvironmentVariable("ENVFORGE_PG")
            ?? throw new InvalidOperationException("ENVFORGE_PG is not set (ops/bench.sh sets it)");
        var dataDirectory = Directory.CreateTempSubdirectory("envforge-bench-audit-").FullName;
        var report = new StringBuilder();
        void Line(string text)
        {
            report.AppendLine(text);
            Console.Error.WriteLine(text);
        }

        var load = Report.LoadAverage();
        await using var database = await BenchDatabase.CreateAsync(server);
        using var store = DocumentStore.For(x => EventStore.Configure(x, database.ConnectionString));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        Line($"audit bench: {o.Entries:N0} entries in one org + {o.SmallOrgs} orgs of {o.SmallEntries:N0}, appended {o.Batch} events per transaction; PostgreSQL {database.ServerVersion}, {Environment.ProcessorCount} cores");

        // 1. Seed: raw Marten appends (no daemon), then the audit projection builds the trail from them.
        var big = new AuditSeed(Guid.CreateVersion7(), members: 400, workspaces: 100, seed: 1);
        var seeds = new List<AuditSeed> { big };
        seeds.AddRange(Enumerable.Range(0, o.SmallOrgs).Select(i => new AuditSeed(Guid.CreateVersion7(), 20, 5, 100 + i)));
        var seededFrom = DateTimeOffset.UtcNow;
        var appendTime = TimeSpan.Zero;
        foreach (var seed in seeds)
        {
            appendTime += await seed.AppendAsync(store, seed == big ? o.Entries : o.SmallEntries, o.Batch,
                n => { if (n % 100_000 == 0) { Console.Error.WriteLine($"    appended {n:N0}"); } });
        }

        var seededTo = DateTimeOffset.UtcNow;
        var events = seeds.Sum(s => s.Events);
        var projectTime = await BuildTrailAsync(store);
        Line($"seed      raw Marten append {Rate(events, appendTime)} events/s ({events:N0} events in {appendTime.TotalSeconds:0} s, no daemon)");
        Line($"          audit projection  {Rate(events, projectTime)} events/s ({projectTime.TotalSeconds:0} s to build the trail and its chains from them)");
        Line($"          seeding end to end {Rate(events, appendTime + projectTime)} events/s (append, then project), {Ratio(appendTime, appendTime + projectTime)} of the raw append rate");

        using var keys = AuditSigningKeys.Load(new Dictionary<string, string>(), null, dataDirectory);
        var sealer = new AuditSealer(store, keys, TimeProvider.System, Microsoft.Extensions.Options.Options.Create(new AuditOptions()), NullLogger<AuditSealer>.Instance);
        var seals = await sealer.SealAsync(CancellationToken.None);
        Line($"          sealed {seals.Count} chains");

        // 2. Support queries through the real API (a process without the daemon).
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var api = await ApiProcess.StartAsync(o.ApiDll, database.ConnectionString, signingKey, daemon: false, dataDirectory);
        var token = LocalTokens.Mint(new SymmetricSecurityKey(Convert.FromBase64String(signingKey)) { KeyId = "local-1" },
            new AuthOptions { LocalSigningKey = signingKey }, AuditSeed.Owner, "Bench Owner", DateTimeOffset.UtcNow, TimeSpan.FromHours(4));
        using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var random = new Random(7);
        var orgUrl = $"/orgs/{big.OrgId}/audit";
        string Window(int seconds)
        {
            var start = seededFrom + TimeSpan.FromTicks((long)(random.NextDouble() * Math.Max(1, (seededTo - seededFrom - TimeSpan.FromSeconds(seconds)).Ticks)));
            return $"from={Uri.EscapeDataString(start.ToString("O"))}&to={Uri.EscapeDataString(start.AddSeconds(seconds).ToString("O"))}";
        }

        var shapes = new (string Name, Func<Task<string>> Url)[]
        {
            ("org, newest 50", () => Task.FromResult($"{orgUrl}?order=desc&limit=50")),
            ("org, 50 after a cursor deep in the trail", async () => $"{orgUrl}?limit=50&cursor={await CursorAsync(http, $"{orgUrl}?limit=1&{Window(60)}")}"),
            ("org + workspace", () => Task.FromResult($"{orgUrl}?order=desc&limit=50&workspaceId={Pick(random, big.Workspaces)}")),
            ("org + actor", () => Task.FromResult($"{orgUrl}?order=desc&limit=50&actor={Pick(random, big.Members.Take(100).ToList())}")),
            ("org + action (elevation.denied)", () => Task.FromResult($"{orgUrl}?order=desc&limit=50&action=elevation.denied")),
            ("org + outcome (denied)", () => Task.FromResult($"{orgUrl}?limit=50&outcome=denied")),
            ("org + target (one dev link)", () => Task.FromResult($"{orgUrl}?limit=50&targetType=dev_link&targetId={Pick(random, big.Links)}")),
            ("org + time range (60 s)", () => Task.FromResult($"{orgUrl}?limit=50&{Window(60)}")),
            ("org + actor + time range (10 min)", () => Task.FromResult($"{orgUrl}?limit=50&actor={Pick(random, big.Members.Take(100).ToList())}&{Window(600)}")),
        };
        Line($"queries   {o.Samples} samples per shape after 20 warm-up, one client, through HTTP (auth, validation, query, JSON)");
        Line($"          {"shape",-44} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8}  rows");
        foreach (var (name, url) in shapes)
        {
            var (p50, p95, p99, rows) = await MeasureAsync(http, url, o.Samples);
            Line($"          {name,-44} {p50,8:0.0} {p95,8:0.0} {p99,8:0.0}  {rows:0} avg{(p95 >= 50 ? "  ABOVE the 50 ms goal" : "")}");
        }

        // 3. Export the big org's trail, streamed: first its first half (by time), then all of it. The API's memory while each
        //    runs: resident (VmHWM, which counts the .NET framework's and the app's mapped assemblies, shared and clean) and
        //    private (what this process alone holds: GC heap, JIT code and type data, native), sampled every 50 ms. Constant
        //    memory means the two exports grow the process alike. Then verify the whole file offline.
        var half = seededFrom + ((seededTo - seededFrom) / 2);
        var part = await ExportAsync(api.ProcessId, http, orgUrl, seededFrom.AddHours(-1), half, Path.Combine(dataDirectory, "export-half.jsonl"));
        var file = Path.Combine(dataDirectory, "export.jsonl");
        var whole = await ExportAsync(api.ProcessId, http, orgUrl, seededFrom.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), file);
        var clock = Stopwatch.StartNew();
        var verified = AuditVerifier.VerifyFile(file);
        var verifyTime = clock.Elapsed;
        var partEntries = AuditVerifier.VerifyFile(part.File).Entries;
        Line($"export    {verified.Entries:N0} entries, {new FileInfo(file).Length / 1048576.0:0} MiB JSON Lines in {whole.Time.TotalSeconds:0.0} s: {Rate(verified.Entries, whole.Time)} entries/s"
            + $"{(whole.Time.TotalSeconds >= 60 ? "  ABOVE the 60 s goal" : "")}");
        foreach (var (name, entries, run) in new[] { ("its first half", partEntries, part), ("all of it", verified.Entries, whole) })
        {
            Line($"          API process exporting {name} ({entries:N0} entries): resident {run.RssBefore / 1024.0:0} MiB before, peak {run.RssPeak / 1024.0:0} MiB"
                + $"{(run.RssPeak >= 200 * 1024 ? " (ABOVE 200 MB)" : "")}; private {run.PrivateBefore / 1024.0:0} MiB before, peak {run.PrivatePeak / 1024.0:0} MiB"
                + $"{(run.PrivatePeak >= 200 * 1024 ? " (ABOVE 200 MB)" : "")}; the export's own growth {(run.PrivatePeak - run.PrivateBefore) / 1024.0:0} MiB private");
        }

        Line($"verify    offline: {(verified.Valid ? "valid" : "INVALID: " + verified.Failure)}, {Rate(verified.Entries, verifyTime)} entries/s ({verifyTime.TotalSeconds:0.0} s)");

        // 4. Rebuild the trail from the whole history (in this process, as the command does) and compare.
        if (!o.SkipRebuild)
        {
            await using var services = new ServiceCollection().BuildServiceProvider();
            var rebuilt = await new ProjectionRebuilds(store, TimeProvider.System, services).RunAsync(
                AuditTrailProjection.Name, Guid.NewGuid(), p => Console.Error.WriteLine($"    rebuild {p.EventsDone:N0}/{p.EventsTotal:N0} {p.EventsPerSecond:0}/s"), CancellationToken.None);
            var seconds = (rebuilt.FinishedAt!.Value - rebuilt.StartedAt).TotalSeconds;
            Line($"rebuild   {AuditTrailProjection.Name}: {rebuilt.Status}, {Rate(rebuilt.EventsTotal, TimeSpan.FromSeconds(seconds))} events/s ({seconds:0} s, digests and chain checks included); "
                + $"equal to the live trail: {rebuilt.Comparison?.Equal}, chains {rebuilt.Comparison?.Chains?.Orgs} orgs, {rebuilt.Comparison?.Chains?.SealsChecked} seals checked");
        }

        Line(Report.LoadLine(load));
        Line($"command   {Environment.GetEnvironmentVariable("ENVFORGE_BENCH_COMMAND") ?? "dotnet EnvForge.Bench.dll " + string.Join(' ', args)}");
        Console.Write(report.ToString());
        Directory.Delete(dataDirectory, recursive: true);
        return 0;
    }

    /// <summary>Runs the audit projection's daemon until it has caught up with every event; returns how long that took.</summary>
    private static async Task<TimeSpan> BuildTrailAsync(DocumentStore store)
    {
        var clock = Stopwatch.StartNew();
        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        await using var session = store.QuerySession();
        var highWater = (await session.AdvancedSql.QueryAsync<long>("select max(seq_id) from envforge.mt_events", CancellationToken.None)).Single();
        while (true)
        {
            var done = (await session.AdvancedSql.QueryAsync<long>(
                "select coalesce(max(last_seq_id), 0) from envforge.mt_event_progression where name = 'AuditTrail:All'", CancellationToken.None)).Single();
            if (done >= highWater)
            {
                break;
            }

            Console.Error.WriteLine($"    projected {done:N0} of {highWater:N0} ({Rate(done, clock.Elapsed)}/s)");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        var elapsed = clock.Elapsed;
        await daemon.StopAllAsync();
        return elapsed;
    }

    private static async Task<(double P50, double P95, double P99, double Rows)> MeasureAsync(HttpClient http, Func<Task<string>> url, int samples)
    {
        var times = new List<double>(samples);
        long rows = 0;
        for (var i = 0; i < samples + 20; i++)
        {
            var target = await url();
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(target);
            var body = await response.Content.ReadAsStringAsync();
            clock.Stop();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{target}: {(int)response.StatusCode} {body}");
            }

            if (i >= 20)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
                rows += JsonDocument.Parse(body).RootElement.GetProperty("items").GetArrayLength();
            }
        }

        times.Sort();
        double At(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        return (At(0.50), At(0.95), At(0.99), (double)rows / samples);
    }

    private static async Task<string> CursorAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var page = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync(), Json);
        return page.GetProperty("nextCursor").GetString() ?? throw new InvalidOperationException($"no cursor from {url}");
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static long Memory(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Select(Kib).First();

    /// <summary>The process's private memory in KiB (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup).</summary>
    private static long PrivateMemory(int pid) =>
        File.ReadLines($"/proc/{pid}/smaps_rollup").Where(l => l.StartsWith("Private_", StringComparison.Ordinal)).Sum(Kib);

    /// <summary>The KiB of a /proc line such as <c>VmRSS:   123456 kB</c>.</summary>
    private static long Kib(string line) => long.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private sealed record ExportRun(string File, TimeSpan Time, long RssBefore, long RssPeak, long PrivateBefore, long PrivatePeak);

    private static async Task<ExportRun> ExportAsync(int pid, HttpClient http, string orgUrl, DateTimeOffset from, DateTimeOffset to, string file)
    {
        var (rssBefore, privateBefore) = (Memory(pid, "VmRSS"), PrivateMemory(pid));
        await File.WriteAllTextAsync($"/proc/{pid}/clear_refs", "5"); // resets the peak (VmHWM) to now
        using var done = new CancellationTokenSource();
        var privatePeak = privateBefore;
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                privatePeak = Math.Max(privatePeak, PrivateMemory(pid));
                await Task.Delay(50, CancellationToken.None);
            }
        });
        var clock = Stopwatch.StartNew();
        var range = $"from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}";
        using (var response = await http.GetAsync($"{orgUrl}/export?{range}&format=jsonl", HttpCompletionOption.ResponseHeadersRead))
        {
            response.EnsureSuccessStatusCode();
            await using var output = File.Create(file);
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(output);
        }

        var time = clock.Elapsed;
        await done.CancelAsync();
        await sampler;
        privatePeak = Math.Max(privatePeak, PrivateMemory(pid));
        return new ExportRun(file, time, rssBefore, Memory(pid, "VmHWM"), privateBefore, privatePeak);
    }

    private static string Rate(long count, TimeSpan time) => (count / Math.Max(0.001, time.TotalSeconds)).ToString("N0", CultureInfo.InvariantCulture);

    private static string Ratio(TimeSpan part, TimeSpan whole) => (part.TotalSeconds / whole.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture);

    private sealed record Options(long Entries, int SmallOrgs, long SmallEntries, int Batch, int Samples, bool SkipRebuild, string ApiDll)
    {
        public static Options Parse(string[] args)
        {
            var o = new Options(1_000_000, 10, 1_000, 1_000, 200, false, "");
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : "";
                o = args[i] switch
                {
                    Mode => o,
                    "--entries" => o with { Entries = long.Parse(value, CultureInfo.InvariantCulture) },
                    "--small-orgs" => o with { SmallOrgs = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--small-entries" => o with { SmallEntries = long.Parse(value, CultureInfo.InvariantCulture) },
                    "--batch" => o with { Batch = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--samples" => o with { Samples = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--api" => o with { ApiDll = value },
                    "--skip-rebuild" => o with { SkipRebuild = true },
                    _ => throw new ArgumentException($"unknown option {args[i]}; usage: audit [--entries N] [--small-orgs N] [--small-entries N] [--batch N] [--samples N] [--skip-rebuild]"),
                };
                if (args[i] is not (Mode or "--skip-rebuild"))
                {
                    i++;
                }
            }

            return File.Exists(o.ApiDll) ? o : throw new ArgumentException($"{o.ApiDll} not found: build src/Api in Release first");
        }
    }
}
