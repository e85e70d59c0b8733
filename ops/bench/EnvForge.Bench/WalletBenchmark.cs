using System.Globalization;
using System.Text;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Wallet;
using Marten;
using Microsoft.Extensions.Options;

namespace EnvForge.Bench;

/// <summary>
/// <c>bash ops/bench.sh wallet</c>: the wallet's debit path (the runtime meter's <see cref="BuyRuntime"/> through
/// <see cref="WalletCommandQueue"/>, in process) at 1 and 16 writers on one hot wallet and on 16 wallets, beside raw Marten
/// single-event appends (same store configuration, a stream per writer) measured in the same run, interleaved over rounds
/// (medians). After every phase each wallet's balance is checked against the debits acknowledged: a double spend is an error.
/// </summary>
internal static class WalletBenchmark
{
    public const string Mode = "wallet";
    private const int Wallets = 16;
    private const long Funds = WalletDecider.MaxTopUp;

    public static async Task<int> RunAsync(string[] args)
    {
        var (seconds, warmup, rounds, writers) = (5, 2, 3, new[] { 1, 16 });
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is not ("--seconds" or "--warmup" or "--rounds" or "--writers" or "--api") || i + 1 >= args.Length)
            {
                continue; // "wallet" itself
            }

            var n = args[i] == "--api" ? [] : args[i + 1].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            (seconds, warmup, rounds, writers) = args[i] switch
            {
                "--seconds" => (n[0], warmup, rounds, writers),
                "--warmup" => (seconds, n[0], rounds, writers),
                "--rounds" => (seconds, warmup, n[0], writers),
                "--writers" => (seconds, warmup, rounds, n),
                _ => (seconds, warmup, rounds, writers), // --api: the other modes' API build
            };
            i++;
        }

        var server = Environment.GetEnvironmentVariable("ENVFORGE_PG")
            ?? throw new InvalidOperationException("ENVFORGE_PG is not set (ops/bench.sh sets it)");
        await using var database = await BenchDatabase.CreateAsync(server);
        using var store = DocumentStore.For(o => EventStore.Configure(o, database.ConnectionString));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var queue = new WalletCommandQueue(store, new NoWorkflows(), Options.Create(new WalletOptions()), TimeProvider.System);
        var bench = new Bench(store, queue);
        await bench.SeedAsync();

        var loadAtStart = Report.LoadAverage();
        var rows = new List<(int Writers, List<PhaseResult> Raw, List<PhaseResult> Hot, List<PhaseResult> Spread)>();
        foreach (var w in writers)
        {
            Console.Error.WriteLine($"==> {w} writer(s): warm-up, then {rounds} x (raw, one wallet, {Wallets} wallets) of {seconds} s");
            await bench.RawAsync(w, TimeSpan.FromSeconds(warmup));
            await bench.DebitAsync(w, TimeSpan.FromSeconds(warmup), spread: false);
            await bench.DebitAsync(w, TimeSpan.FromSeconds(warmup), spread: true);
            var row = (w, new List<PhaseResult>(), new List<PhaseResult>(), new List<PhaseResult>());
            for (var r = 0; r < rounds; r++)
            {
                row.Item2.Add(await bench.RawAsync(w, TimeSpan.FromSeconds(seconds)));
                row.Item3.Add(await bench.DebitAsync(w, TimeSpan.FromSeconds(seconds), spread: false));
                row.Item4.Add(await bench.DebitAsync(w, TimeSpan.FromSeconds(seconds), spread: true));
            }

            rows.Add(row);
        }

        var doubleSpends = await bench.CheckBalancesAsync();
        Console.Write(Render(rows, seconds, rounds, database.ServerVersion, loadAtStart, doubleSpends, bench.Failures));
        return doubleSpends == 0 && bench.Failures == 0 ? 0 : 1;
    }

    private static string Render(
        List<(int Writers, List<PhaseResult> Raw, List<PhaseResult> Hot, List<PhaseResult> Spread)> rows, int seconds, int rounds, string pg,
        string loadAtStart, long doubleSpends, long failures)
    {
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
        static double Median(List<PhaseResult> p) => p.Select(x => x.Rate).Order().ElementAt(p.Count / 2);

        Line("EnvForge wallet: runtime debits (decide + append through the per-wallet queue) vs raw Marten single-event appends, one run");
        Line($"machine   {Environment.ProcessorCount} cores, .NET {Environment.Version}, PostgreSQL {pg}; in process, one store configuration (EventStore.Configure)");
        Line(Report.LoadLine(loadAtStart));
        Line($"method    closed loop; {seconds} s per phase, {rounds} rounds of (raw, one wallet, {Wallets} wallets) interleaved, median");
        Line("raw       Append + SaveChangesAsync of one wallet.debited.v1 event, a stream per writer (inline projections run as for a debit)");
        Line("debit     WalletCommandQueue.DecideAsync(BuyRuntime 1 min): load, decide, append at the version read, commit; batches when writers wait");
        Line("");
        Line($"{"writers",7}  {"phase",-22} {"rate/s",8} {"p50 ms",7} {"p99 ms",7}  {"vs raw",6}  rounds (rate/s)");
        foreach (var (writers, raw, hot, spread) in rows)
        {
            void Phase(string name, List<PhaseResult> p, string ratio)
            {
                var latencies = p.SelectMany(x => x.LatencyTicks).ToArray();
                Line($"{writers,7}  {name,-22} {F(Median(p), "0"),8} {F(ClosedLoop.PercentileMs(latencies, 50), "0.00"),7} " +
                     $"{F(ClosedLoop.PercentileMs(latencies, 99), "0.00"),7}  {ratio,6}  {string.Join(" / ", p.Select(x => F(x.Rate, "0")))}");
            }

            Phase("raw Marten append", raw, "");
            Phase("debits, one wallet", hot, F(Median(hot) / Median(raw), "0.00"));
            Phase($"debits, {Wallets} wallets", spread, F(Median(spread) / Median(raw), "0.00"));
        }

        Line("");
        if (rows.FirstOrDefault(r => r.Writers == 16) is { Raw.Count: > 0 } judged)
        {
            var hot = Median(judged.Hot) / Median(judged.Raw);
            var spread = Median(judged.Spread) / Median(judged.Raw);
            Line($"goal      one wallet at 16 writers >= 0.5 x raw: {F(hot, "0.00")} -> {(hot >= 0.5 ? "PASS" : "FAIL")}; " +
                 $"{Wallets} wallets >= 0.8 x raw: {F(spread, "0.00")} -> {(spread >= 0.8 ? "PASS" : "FAIL")}");
        }

        Line($"checks    double spends: {doubleSpends} (every wallet's balance = funds - acknowledged debits, each debit once); failed debits: {failures}");
        Line($"command   {Environment.GetEnvironmentVariable("ENVFORGE_BENCH_COMMAND") ?? "EnvForge.Bench wallet"}");
        return text.ToString();
    }

    private sealed class Bench(IDocumentStore store, WalletCommandQueue queue)
    {
        private readonly Guid[] _orgs = [.. Enumerable.Range(0, Wallets).Select(_ => Guid.CreateVersion7())];
        private readonly Guid[] _rawStreams = [.. Enumerable.Range(0, 64).Select(_ => Guid.CreateVersion7())];
        private readonly long[] _acknowledged = new long[Wallets];
        private long _rawCounter;

        public long Failures { get; private set; }

        public async Task SeedAsync()
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var org in _orgs)
            {
                var topUp = Guid.CreateVersion7();
                IWalletCommand[] commands =
                [
                    new OpenWallet(org, "EUR", "bench", now), new SetPaymentMethod(org, "cus_Bench", "pm_Bench", "bench", now),
                    new RequestTopUp(org, topUp, Funds, "EUR", "bench", now), new CreditTopUp(org, topUp, "pi_bench", Funds, "eur", null, "bench", now),
                ];
                foreach (var command in commands)
                {
                    await StreamDecisions.DecideAsync(store, WalletDecider.Decider, WalletIds.For(org), _ => command, new WriteContext("bench"));
                }
            }

            await using var session = store.LightweightSession();
            foreach (var stream in _rawStreams)
            {
                session.Events.StartStream(stream, new WalletOpened(stream, stream, "EUR", "bench", now));
            }

            await session.SaveChangesAsync();
        }

        public Task<PhaseResult> RawAsync(int writers, TimeSpan duration) => ClosedLoop.RunAsync(writers, duration, async writer =>
        {
            var stream = _rawStreams[writer];
            var n = Interlocked.Increment(ref _rawCounter);
            var at = DateTimeOffset.UtcNow;
            await using var session = store.LightweightSession();
            session.Events.Append(stream, new UsageDebited(stream, stream, stream, at, at, at.AddMinutes(1), 1, ["web"], 1, 1, n, "bench", at));
            await session.SaveChangesAsync();
            return true;
        });

        /// <summary>Each writer meters its own workspace: one period per phase, the next minute each time.</summary>
        public async Task<PhaseResult> DebitAsync(int writers, TimeSpan duration, bool spread)
        {
            var start = DateTimeOffset.UtcNow;
            var paidUntil = Enumerable.Repeat(start, writers).ToArray();
            var workspaces = Enumerable.Range(0, writers).Select(_ => Guid.CreateVersion7()).ToArray();
            var result = await ClosedLoop.RunAsync(writers, duration, async writer =>
            {
                var wallet = spread ? writer % Wallets : 0;
                var outcome = await queue.DecideAsync(
                    new BuyRuntime(_orgs[wallet], workspaces[writer], start, paidUntil[writer], 1, ["web"], 1, "bench", DateTimeOffset.UtcNow),
                    new WriteContext("bench"));
                if (outcome.Status != DecisionStatus.Appended)
                {
                    return false;
                }

                Interlocked.Increment(ref _acknowledged[wallet]);
                paidUntil[writer] = paidUntil[writer].AddMinutes(1);
                return true;
            });
            Failures += result.Failed;

            // Close each writer's period so the next phase starts with no open meters (settled at its start: all returned).
            foreach (var (workspace, i) in workspaces.Select((w, i) => (w, i)))
            {
                var wallet = spread ? i % Wallets : 0;
                var settled = await queue.DecideAsync(new SettleRuntime(_orgs[wallet], workspace, start, start, "bench", DateTimeOffset.UtcNow), new WriteContext("bench"));
                var returned = settled.Events.OfType<UsageSettled>().Sum(s => s.MinutesPaid);
                Interlocked.Add(ref _acknowledged[wallet], -returned);
            }

            return result;
        }

        /// <summary>Wallets whose balance is not their funds less the acknowledged (and not returned) debits, each once.</summary>
        public async Task<long> CheckBalancesAsync()
        {
            long wrong = 0;
            await using var session = store.QuerySession();
            for (var i = 0; i < Wallets; i++)
            {
                var wallet = await session.LoadAsync<OrgWallet>(WalletIds.For(_orgs[i]));
                if (wallet is null || wallet.Balance != Funds - _acknowledged[i])
                {
                    wrong++;
                }
            }

            return wrong;
        }
    }

    private sealed class NoWorkflows : IWalletWorkflows
    {
        public string? UnavailableReason => "the bench runs no Temporal worker (no automatic top-up is configured)";

        public Task StartTopUpAsync(TopUpInput input, CancellationToken ct) => throw new InvalidOperationException(UnavailableReason);

        public Task StripeAnsweredAsync(Guid topUpId, CancellationToken ct) => Task.CompletedTask;

        public Task StartRefundAsync(RefundInput input, CancellationToken ct) => throw new InvalidOperationException(UnavailableReason);
    }
}
