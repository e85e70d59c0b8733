using System.Globalization;
using System.Text;

namespace EnvForge.Bench;

internal sealed class Report(BenchOptions options, string postgresVersion, string apiCommandLine)
{
    private readonly List<Row> _rows = [];
    private readonly string _loadAtStart = LoadAverage();

    private long _warmupFailures;

    /// <summary>Non-2xx answers anywhere in the run, warm-ups included: any makes the figures invalid.</summary>
    public long NonSuccess => _warmupFailures + _rows.Sum(r => r.Alive.Failed + r.Raw.Concat(r.Api).Sum(p => p.Failed));

    public long Overflow { get; set; }

    public void CountWarmup(PhaseResult warmup) => _warmupFailures += warmup.Failed;

    public Row Add(int clients, PhaseResult alive)
    {
        var row = new Row(clients, [], [], alive);
        _rows.Add(row);
        return row;
    }

    public string Render()
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

        Line("EnvForge write path: raw Marten append vs API add-member (one event per transaction), one machine, one run");
        Line($"machine   {Environment.ProcessorCount} cores, .NET {Environment.Version}, PostgreSQL {postgresVersion}, server GC in both processes");
        Line(LoadLine(_loadAtStart));
        Line($"method    closed loop; {options.Seconds} s per phase, {options.Rounds} rounds of (raw, api) interleaved, median; " +
             $"{options.WarmupSeconds} s warm-up per side and client count");
        Line("store     both sides use EventStore.Configure, so the same inline projections (Organization snapshot,");
        Line($"          MemberDirectory, ...) run on every append; each client moves to a fresh org every {options.MembersPerOrg} adds");
        Line($"daemon    API async projections {(options.Daemon ? "ON (Solo, in the API process)" : "off (EnvForge__RunProjections=false; --daemon turns them on)")}");
        Line("");
        Line($"{"clients",7}  {"phase",-26} {"rate/s",8} {"p50 ms",7} {"p99 ms",7} {"non-2xx",7}  {"cpu ms/op bench+api",19}  rounds (rate/s)");
        foreach (var row in _rows)
        {
            void Phase(string name, IReadOnlyList<PhaseResult> phases, string failures)
            {
                var latencies = phases.SelectMany(p => p.LatencyTicks).ToArray();
                var ops = Math.Max(1, phases.Sum(p => p.Succeeded + p.Failed));
                var cpu = $"{F(phases.Sum(p => p.Cpu.Bench.TotalMilliseconds) / ops, "0.00")}+{F(phases.Sum(p => p.Cpu.Api.TotalMilliseconds) / ops, "0.00")}";
                Line($"{row.Clients,7}  {name,-26} {F(Median(phases), "0"),8} {F(ClosedLoop.PercentileMs(latencies, 50), "0.00"),7} " +
                     $"{F(ClosedLoop.PercentileMs(latencies, 99), "0.00"),7} {failures,7}  {cpu,19}  {string.Join(" / ", phases.Select(p => F(p.Rate, "0")))}");
            }

            Phase("raw Marten append", row.Raw, "-");
            Phase("API POST members", row.Api, row.Api.Sum(p => p.Failed).ToString(CultureInfo.InvariantCulture));
            Phase("GET /alive (HTTP ceiling)", [row.Alive], row.Alive.Failed.ToString(CultureInfo.InvariantCulture));
            Line($"{row.Clients,7}  {"API / raw",-26} {F(row.Ratio, "0.00"),8}");
        }

        Line("");
        var judged = _rows.FirstOrDefault(r => r.Clients == BenchOptions.TargetClients);
        Line(judged is null
            ? $"target    API >= {F(BenchOptions.TargetRatio, "0.0")} x raw at {BenchOptions.TargetClients} clients: not measured (--clients)"
            : $"target    API >= {F(BenchOptions.TargetRatio, "0.0")} x raw at {BenchOptions.TargetClients} clients: " +
              $"{F(judged.Ratio, "0.00")} -> {(judged.Ratio >= BenchOptions.TargetRatio ? "PASS" : "FAIL")}");
        if (NonSuccess > 0)
        {
            Line($"ERROR     {NonSuccess} non-2xx responses (warm-ups included): the figures are not valid");
        }

        if (Overflow > 0)
        {
            Line($"note      {Overflow} adds went to orgs past {options.MembersPerOrg} members (org supply ran out)");
        }

        Line($"command   {Environment.GetEnvironmentVariable("ENVFORGE_BENCH_COMMAND") ?? "dotnet EnvForge.Bench.dll " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        Line($"api       {apiCommandLine}");
        return text.ToString();
    }

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
        return rates.Length % 2 == 1 ? rates[rates.Length / 2] : (rates[(rates.Length / 2) - 1] + rates[rates.Length / 2]) / 2;
    }

    internal sealed record Row(int Clients, List<PhaseResult> Raw, List<PhaseResult> Api, PhaseResult Alive)
    {
        public double Ratio => Median(Api) / Median(Raw);
    }
}
