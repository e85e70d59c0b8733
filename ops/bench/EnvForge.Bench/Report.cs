using System.Globalization;
using System.Text;

namespace EnvForge.Bench;

internal sealed class Report(BenchOptions options, string postgresVersion, string apiCommandLine, string limitMethod)
{
    /// <summary>Issue 11's goals, judged on this machine in one run.</summary>
    public const double FlatWithinFraction = 0.10;

    public static readonly IReadOnlyDictionary<int, double> LimitRatioGoal = new Dictionary<int, double> { [1] = 0.2, [16] = 0.25 };

    public const int P99GoalClients = 16;

    public const double P99GoalMs = 20;

    private readonly List<Row> _rows = [];
    private readonly string _loadAtStart = LoadAverage();

    private long _warmupFailures;

    /// <summary>Non-2xx answers anywhere in the run, warm-ups included: any makes the figures invalid.</summary>
    public long NonSuccess => _warmupFailures + _rows.Sum(r => r.Alive.Failed + r.Sizes.Values.Sum(s => s.Raw.Concat(s.Api).Concat(s.Baseline).Sum(p => p.Failed)));

    public long Overflow { get; set; }

    /// <summary>The API's answers other than 201, by side, status and problem code, with how many.</summary>
    public IReadOnlyList<(string Side, string Answer, long Count)> Refusals { get; set; } = [];

    /// <summary>CPU the processes spend per second when idle, subtracted from each phase's CPU per operation.</summary>
    public IdleCpu Idle { get; set; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Seconds spent seeding orgs, outside the measured windows.</summary>
    public TimeSpan Seeding { get; set; }

    public void CountWarmup(PhaseResult warmup) => _warmupFailures += warmup.Failed;

    public Row Add(int clients, PhaseResult alive)
    {
        var row = new Row(clients, [], options.MembersPerOrg.ToDictionary(m => m, _ => new SizeRow([], [], [])), alive);
        _rows.Add(row);
        return row;
    }

    public string Render()
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');

        Line("EnvForge write path: API add-member vs PostgreSQL's single-row commit limit and raw Marten appends, one machine, one run");
        Line($"machine   {Environment.ProcessorCount} cores, .NET {Environment.Version}, PostgreSQL {postgresVersion}, server GC in both processes");
        Line(LoadLine(_loadAtStart));
        Line($"method    closed loop; {options.Seconds} s per phase, {options.Rounds} rounds of (limit, then raw and API per org size) interleaved, " +
             $"median; {options.WarmupSeconds} s warm-up per side and client count");
        Line($"limit     {limitMethod}");
        Line("store     raw and API use EventStore.Configure (the same inline projections); orgs are seeded with N members and a client");
        Line($"          moves to a fresh org after N adds, so every add lands on an org of N..2N members (seeding took {F(Seeding.TotalSeconds, "0")} s, unmeasured)");
        Line($"daemon    API async projections {(options.Daemon ? "ON (Solo, in the API process)" : "off (EnvForge__RunProjections=false; --daemon turns them on)")}");
        Line("cpu       per operation: bench process + API process + PostgreSQL backends of the bench database (/proc), each net of its idle");
        Line($"          CPU (measured first, per second idle: bench {F(Idle.Bench.TotalMilliseconds, "0.0")} ms, API {F(Idle.Api.TotalMilliseconds, "0.0")} ms, " +
             $"PostgreSQL {F(Idle.Database.TotalMilliseconds, "0.0")} ms)");
        Line("");
        Line($"{"clients",7} {"members",7}  {"phase",-26} {"rate/s",7} {"p50 ms",7} {"p99 ms",7} {"non-2xx",7}  {"cpu ms/op bench+api+pg",24}  rounds (rate/s)");
        foreach (var row in _rows)
        {
            void Phase(string members, string name, IReadOnlyList<PhaseResult> phases, string failures)
            {
                var latencies = phases.SelectMany(p => p.LatencyTicks).ToArray();
                var ops = Math.Max(1, phases.Sum(p => p.Succeeded + p.Failed));
                string Net(Func<PhaseResult, TimeSpan> cpu, TimeSpan idle) => F(NetMs(phases, cpu, idle), "0.00");
                var pg = phases.All(p => p.DatabaseCpu is not null) ? Net(p => p.DatabaseCpu!.Value, Idle.Database) : "n/a";
                var api = phases.All(p => p.Cpu.Api > TimeSpan.Zero) ? Net(p => p.Cpu.Api, Idle.Api) : "0.00";
                var cpu = $"{Net(p => p.Cpu.Bench, Idle.Bench)}+{api}+{pg}";
                Line($"{row.Clients,7} {members,7}  {name,-26} {F(Median(phases), "0"),7} {F(ClosedLoop.PercentileMs(latencies, 50), "0.00"),7} " +
                     $"{F(ClosedLoop.PercentileMs(latencies, 99), "0.00"),7} {failures,7}  {cpu,24}  {string.Join(" / ", phases.Select(p => F(p.Rate, "0")))}");
            }

            Phase("-", "PostgreSQL commit limit", row.Limit, "-");
            foreach (var (members, size) in row.Sizes)
            {
                Phase($"{members}", "raw Marten append", size.Raw, "-");
                Phase($"{members}", "API POST members", size.Api, size.Api.Sum(p => p.Failed).ToString(CultureInfo.InvariantCulture));
                if (size.Baseline.Count > 0)
                {
                    Phase($"{members}", "API baseline POST members", size.Baseline, size.Baseline.Sum(p => p.Failed).ToString(CultureInfo.InvariantCulture));
                }
            }

            Phase("-", "GET /alive (HTTP ceiling)", [row.Alive], row.Alive.Failed.ToString(CultureInfo.InvariantCulture));
            foreach (var (members, size) in row.Sizes)
            {
                Line($"{row.Clients,7} {members,7}  {"API / limit",-26} {F(row.LimitRatio(members), "0.00"),7}   (API / raw Marten {F(Median(size.Api) / Median(size.Raw), "0.00")}" +
                     $"{(size.Baseline.Count > 0 ? $", API / baseline API {F(Median(size.Api) / Median(size.Baseline), "0.00")}" : "")})");
            }
        }

        Line("");
        foreach (var bound in Bounds())
        {
            Line(bound);
        }

        Line("");
        foreach (var goal in Goals())
        {
            Line(goal);
        }

        if (NonSuccess > 0)
        {
            Line($"ERROR     {NonSuccess} answers other than 201 (warm-ups included): the figures are not valid");
            foreach (var (side, answer, count) in Refusals.OrderByDescending(r => r.Count))
            {
                Line($"          {side}: {count} x {answer}");
            }
        }

        if (Overflow > 0)
        {
            Line($"note      {Overflow} adds went to orgs past 2N members (org supply ran out)");
        }

        Line($"command   {Environment.GetEnvironmentVariable("ENVFORGE_BENCH_COMMAND") ?? "dotnet EnvForge.Bench.dll " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        Line($"api       {apiCommandLine}");
        if (options.BaselineApiDll is { } baseline)
        {
            Line($"baseline  the same settings, {baseline}");
        }

        return text.ToString();
    }

    private IEnumerable<string> Goals()
    {
        string Verdict(bool pass) => pass ? "PASS" : "FAIL";
        var (small, large) = (options.MembersPerOrg.Min(), options.MembersPerOrg.Max());
        foreach (var row in _rows)
        {
            if (small != large)
            {
                var flat = Median(row.Sizes[large].Api) / Median(row.Sizes[small].Api);
                yield return $"goal      {row.Clients} client(s): add-member at {large} members within {F(FlatWithinFraction * 100, "0")}% of the rate at {small}: " +
                             $"{F(flat, "0.00")} -> {Verdict(flat >= 1 - FlatWithinFraction)}";
            }

            if (LimitRatioGoal.TryGetValue(row.Clients, out var goal))
            {
                var ratio = row.Sizes.Keys.Min(row.LimitRatio);
                var p99 = row.Sizes.Values.Max(s => ClosedLoop.PercentileMs(s.Api.SelectMany(p => p.LatencyTicks), 99));
                var p99Goal = row.Clients == P99GoalClients;
                yield return $"goal      {row.Clients} client(s): API >= {F(goal, "0.00")} x limit at every size{(p99Goal ? $", p99 < {F(P99GoalMs, "0")} ms" : "")}: " +
                             $"{F(ratio, "0.00")}{(p99Goal ? $", p99 {F(p99, "0.0")} ms" : "")} -> {Verdict(ratio >= goal && (!p99Goal || p99 < P99GoalMs))}";
            }
        }
    }

    /// <summary>
    /// The most add-member/s any API could reach on this machine while PostgreSQL does the work it did here per add, from
    /// this run's own figures: on CPU, the cores shared by the three processes over PostgreSQL's CPU per add plus what an HTTP
    /// request that does nothing costs the client and the API (GET /alive); on latency, with N clients each waiting for its
    /// answer, N over the HTTP round trip (GET /alive p50) plus PostgreSQL's CPU per add, which one command's statements
    /// spend one after another. A goal above the bound cannot be met by the API alone, only by PostgreSQL doing less per add.
    /// </summary>
    internal static Bound? BoundOf(int clients, IReadOnlyList<PhaseResult> api, PhaseResult alive, IdleCpu idle, int cores)
    {
        if (api.Count == 0 || api.Any(p => p.DatabaseCpu is null) || alive.Succeeded == 0)
        {
            return null;
        }

        var pgMs = NetMs(api, p => p.DatabaseCpu!.Value, idle.Database);
        var httpMs = NetMs([alive], p => p.Cpu.Bench, idle.Bench) + NetMs([alive], p => p.Cpu.Api, idle.Api);
        var roundTripMs = ClosedLoop.PercentileMs(alive.LatencyTicks, 50);
        var byCpu = cores * 1000 / (pgMs + httpMs);
        var byLatency = clients * 1000 / (roundTripMs + pgMs);
        return new Bound(Math.Min(byCpu, byLatency), byCpu <= byLatency, pgMs, httpMs, roundTripMs);
    }

    private IEnumerable<string> Bounds()
    {
        foreach (var row in _rows)
        {
            foreach (var (members, size) in row.Sizes)
            {
                if (BoundOf(row.Clients, size.Api, row.Alive, Idle, Environment.ProcessorCount) is not { } bound)
                {
                    continue;
                }

                var limit = Median(row.Limit);
                var why = bound.ByCpu
                    ? $"CPU: {Environment.ProcessorCount} cores / ({F(bound.PostgresMs, "0.00")} ms PostgreSQL per add + {F(bound.HttpMs, "0.00")} ms bench+API per GET /alive)"
                    : $"latency: {row.Clients} client(s) / ({F(bound.RoundTripMs, "0.00")} ms GET /alive p50 + {F(bound.PostgresMs, "0.00")} ms PostgreSQL per add)";
                var goal = LimitRatioGoal.TryGetValue(row.Clients, out var g)
                    ? $"; the goal ({F(g, "0.00")} x) is {(bound.Rate / limit >= g ? "within it" : "beyond it: unreachable while PostgreSQL spends this per add")}"
                    : "";
                yield return $"bound     {row.Clients} client(s), {members} members: at most {F(bound.Rate, "0")}/s = {F(bound.Rate / limit, "0.00")} x limit, by {why}{goal}";
            }
        }
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>CPU per operation in ms over the phases, net of the process's idle CPU.</summary>
    private static double NetMs(IReadOnlyList<PhaseResult> phases, Func<PhaseResult, TimeSpan> cpu, TimeSpan idle) =>
        phases.Sum(p => Math.Max(0, (cpu(p) - (idle * p.Elapsed.TotalSeconds)).TotalMilliseconds)) / Math.Max(1, phases.Sum(p => p.Succeeded + p.Failed));

    /// <summary>The load average at start and now, flagged when other work kept more than every core busy.</summary>
    public static string LoadLine(string loadAtStart)
    {
        var loadAtEnd = LoadAverage();
        var busy = new[] { loadAtStart, loadAtEnd }.Any(l => double.TryParse(l, CultureInfo.InvariantCulture, out var v) && v > Environment.ProcessorCount);
        return $"          load average (1 min) {loadAtStart} at start, {loadAtEnd} at end{(busy ? ": above the core count, other work competed for the CPUs" : "")}";
    }

    /// <summary>The 1-minute load average: the figures mean little when other work kept the cores busy.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static double Median(IReadOnlyList<PhaseResult> phases)
    {
        var rates = phases.Select(p => p.Rate).Order().ToArray();
        return rates.Length == 0 ? double.NaN
            : rates.Length % 2 == 1 ? rates[rates.Length / 2] : (rates[(rates.Length / 2) - 1] + rates[rates.Length / 2]) / 2;
    }

    /// <param name="ByCpu">Whether CPU (rather than latency) sets the bound.</param>
    internal sealed record Bound(double Rate, bool ByCpu, double PostgresMs, double HttpMs, double RoundTripMs);

    /// <param name="Baseline">The baseline build of the API (<c>--baseline-api</c>), when one runs beside this one.</param>
    internal sealed record SizeRow(List<PhaseResult> Raw, List<PhaseResult> Api, List<PhaseResult> Baseline);

    internal sealed record Row(int Clients, List<PhaseResult> Limit, Dictionary<int, SizeRow> Sizes, PhaseResult Alive)
    {
        public double LimitRatio(int members) => Median(Sizes[members].Api) / Median(Limit);
    }
}
