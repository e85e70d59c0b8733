using System.Globalization;
using System.Text;

namespace EnvForge.Bench;

internal sealed class GatewayReport(
    BenchOptions options, string postgresVersion, string apiCommandLine, string bareCommandLine, string opened, IReadOnlyList<ProfileStep> profile)
{
    /// <summary>Gateway requests/s at least this share of direct, at every client count.</summary>
    public const double TargetRatio = 0.8;

    /// <summary>The gateway's p99 at most this much above direct's, at every client count.</summary>
    public const double TargetAddedP99Ms = 1.0;

    private readonly List<Row> _rows = [];
    private readonly string _loadAtStart = Report.LoadAverage();

    private long _warmupFailures;

    /// <summary>Wrong answers anywhere in the run, warm-ups included: any makes the figures invalid.</summary>
    public long NonSuccess => _warmupFailures + _rows.Sum(r => r.Sides.Sum(s => s.Sum(p => p.Failed)));

    public void CountWarmup(PhaseResult warmup) => _warmupFailures += warmup.Failed;

    public Row Add(int bodyBytes, int clients)
    {
        var row = new Row(bodyBytes, clients, [[], [], []]);
        _rows.Add(row);
        return row;
    }

    public string Render()
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

        Line("EnvForge dev-link gateway: the same upstream directly vs through the gateway (valid link, awake workspace), one machine, one run");
        Line($"machine   {Environment.ProcessorCount} cores, .NET {Environment.Version}, PostgreSQL {postgresVersion}, server GC in every process");
        Line(Report.LoadLine(_loadAtStart));
        Line($"method    closed loop of GET, HTTP/1.1 keep-alive, one SocketsHttpHandler per side (one connection per client, connect to");
        Line($"          127.0.0.1, Host = the link's host for the gateway); {options.Seconds} s per phase, {options.Rounds} rounds of (direct, bare YARP,");
        Line($"          gateway) interleaved, order turned each round; rate and p50/p99 are medians over rounds; {options.WarmupSeconds} s warm-up per side");
        Line(options.UpstreamProcess
            ? "upstream  Kestrel in a process of its own (--upstream-process): 200 text/plain with a fixed body"
            : "upstream  Kestrel in the bench process: 200 text/plain with a fixed body; the bench's CPU is clients + upstream");
        Line(options.UpstreamDelayMs > 0
            ? $"          each answer waits {options.UpstreamDelayMs} ms first (--upstream-delay-ms: an app waiting on I/O, the CPU left free)"
            : "          each answer at once (the worst case for any proxy: the hop is most of the work)");
        Line("sides     direct: the upstream itself. bare YARP: IHttpForwarder + HttpTransformer.Default alone, in a process of its own.");
        Line("          gateway: the API process, {linkId:N}.links.localhost -> DevLinkGateway -> IHttpForwarder -> Gateway:UpstreamTemplate");
        Line($"link      {opened}");
        Line("");
        Line($"{"body B",6} {"clients",7}  {"side",-22} {"rate/s",8} {"p50 ms",7} {"p99 ms",7} {"bad",5}  {(options.UpstreamProcess ? "cpu us/op bench+up+proxy" : "cpu us/op bench+proxy"),24}  rounds (rate/s; p99 ms)");
        foreach (var row in _rows)
        {
            for (var s = 0; s < row.Sides.Length; s++)
            {
                var phases = row.Sides[s];
                var ops = Math.Max(1, phases.Sum(p => p.Succeeded + p.Failed));
                var bench = phases.Sum(p => p.Cpu.Bench.TotalMicroseconds) / ops;
                var proxy = s == Row.Direct ? "-" : F(phases.Sum(p => p.Cpu.Api.TotalMicroseconds) / ops, "0");
                var upstream = options.UpstreamProcess ? F(phases.Sum(p => p.UpstreamCpu.TotalMicroseconds) / ops, "0") + "+" : "";
                Line($"{row.BodyBytes,6} {row.Clients,7}  {SideNames[s],-22} {F(row.Rate(s), "0"),8} {F(row.P(s, 50), "0.00"),7} {F(row.P(s, 99), "0.00"),7} " +
                     $"{phases.Sum(p => p.Failed),5}  {$"{F(bench, "0")}+{upstream}{proxy}",24}  " +
                     $"{string.Join(" / ", phases.Select(p => F(p.Rate, "0")))}; {string.Join(" / ", phases.Select(p => F(ClosedLoop.PercentileMs(p.LatencyTicks, 99), "0.00")))}");
            }
        }

        Line("");
        Line("| body | clients | direct req/s | gateway req/s | gateway/direct | direct p99 | gateway p99 | added p99 | verdict | bare YARP/direct | bare added p99 |");
        Line("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var row in _rows)
        {
            var ratio = row.Ratio(Row.Gateway);
            var added = row.AddedP99(Row.Gateway);
            var verdict = (ratio >= TargetRatio ? "" : "FAIL rate") + (added < TargetAddedP99Ms ? "" : (ratio >= TargetRatio ? "" : ", ") + "FAIL p99");
            Line($"| {row.BodyBytes} B | {row.Clients} | {F(row.Rate(Row.Direct), "0")} | {F(row.Rate(Row.Gateway), "0")} | {F(ratio, "0.00")} | " +
                 $"{F(row.P(Row.Direct, 99), "0.00")} ms | {F(row.P(Row.Gateway, 99), "0.00")} ms | {F(added, "+0.00;-0.00")} ms | " +
                 $"{(verdict.Length == 0 ? "PASS" : verdict)} | {F(row.Ratio(Row.Bare), "0.00")} | {F(row.AddedP99(Row.Bare), "+0.00;-0.00")} ms |");
        }

        Line("");
        Line("the gateway against bare YARP (the same hop without the gateway's code): what the gateway itself adds");
        foreach (var row in _rows)
        {
            double ProxyCpu(int side) =>
                row.Sides[side].Sum(p => p.Cpu.Api.TotalMicroseconds) / Math.Max(1, row.Sides[side].Sum(p => p.Succeeded + p.Failed));
            Line($"          {row.BodyBytes} B, {row.Clients} client(s): req/s x{F(row.Rate(Row.Gateway) / row.Rate(Row.Bare), "0.00")}, " +
                 $"p99 {F(row.P(Row.Gateway, 99) - row.P(Row.Bare, 99), "+0.00;-0.00")} ms, " +
                 $"proxy CPU {F(ProxyCpu(Row.Gateway) - ProxyCpu(Row.Bare), "+0;-0")} us/request ({F(ProxyCpu(Row.Gateway), "0")} vs {F(ProxyCpu(Row.Bare), "0")})");
        }

        var idle = _rows.SelectMany(r => r.Sides[Row.Direct].Concat(r.Sides[Row.Bare])).ToArray();
        var background = Median(idle.Select(p => p.ApiProcessCpu.TotalMilliseconds / p.Elapsed.TotalSeconds));
        Line($"          API process CPU while it serves nothing (direct and bare phases): {F(background, "0.0")} ms/s, median; the gateway's proxy");
        Line($"          CPU less that: {string.Join(", ", _rows.Select(r => $"{r.BodyBytes} B x {r.Clients}: {F(r.Sides[Row.Gateway].Sum(p => p.Cpu.Api.TotalMicroseconds - (background * 1000 * p.Elapsed.TotalSeconds)) / Math.Max(1, r.Sides[Row.Gateway].Sum(p => p.Succeeded + p.Failed)), "0")} us/request"))}");
        Line("");
        Line("profile   the gateway's handler in the bench process, one thread, no sockets (forwarder stubbed: request and response");
        Line("          transforms only); CPU time of the thread and bytes allocated, per call");
        foreach (var step in profile)
        {
            Line($"          {step.Name,-42} {F(step.MicrosecondsPerCall, "0.00"),7} us {F(step.BytesPerCall, "0"),6} B  {step.Note}");
        }

        Line("");
        var pass = _rows.Count > 0 && _rows.All(r => r.Ratio(Row.Gateway) >= TargetRatio && r.AddedP99(Row.Gateway) < TargetAddedP99Ms);
        Line($"target    gateway >= {F(TargetRatio, "0.0")} x direct req/s and added p99 < {F(TargetAddedP99Ms, "0")} ms, at every client count: {(pass ? "PASS" : "FAIL")}");
        if (NonSuccess > 0)
        {
            Line($"ERROR     {NonSuccess} answers that were not 200 with the whole body (warm-ups included): the figures are not valid");
        }

        Line($"command   {Environment.GetEnvironmentVariable("ENVFORGE_BENCH_COMMAND") ?? "dotnet EnvForge.Bench.dll " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        Line($"api       {apiCommandLine}");
        Line($"bare      {bareCommandLine}");
        return text.ToString();
    }

    private static readonly string[] SideNames = ["direct (upstream)", "bare YARP forwarder", "gateway (API process)"];

    /// <summary>One body size and client count: the phases of each side, in the order of <see cref="SideNames"/>.</summary>
    internal sealed record Row(int BodyBytes, int Clients, List<PhaseResult>[] Sides)
    {
        public const int Direct = 0;
        public const int Bare = 1;
        public const int Gateway = 2;

        public double Rate(int side) => Median(Sides[side].Select(p => p.Rate));

        public double P(int side, double percentile) => Median(Sides[side].Select(p => ClosedLoop.PercentileMs(p.LatencyTicks, percentile)));

        public double Ratio(int side) => Rate(side) / Rate(Direct);

        public double AddedP99(int side) => P(side, 99) - P(Direct, 99);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
