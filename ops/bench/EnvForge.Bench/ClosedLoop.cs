using System.Diagnostics;

namespace EnvForge.Bench;

/// <summary>CPU per second of wall time that each process spends with nothing asked of it.</summary>
internal sealed record IdleCpu(TimeSpan Bench, TimeSpan Api, TimeSpan Database);

internal sealed record PhaseResult(long Succeeded, long Failed, TimeSpan Elapsed, long[] LatencyTicks)
{
    public double Rate => Succeeded / Elapsed.TotalSeconds;

    /// <summary>CPU the bench process and the API process spent during the phase.</summary>
    public (TimeSpan Bench, TimeSpan Api) Cpu { get; init; }

    /// <summary>Write bench: CPU the PostgreSQL backends of the bench's database spent during the phase (null: not measurable here).</summary>
    public TimeSpan? DatabaseCpu { get; init; }

    /// <summary>Gateway bench with <c>--upstream-process</c>: CPU the upstream process spent during the phase.</summary>
    public TimeSpan UpstreamCpu { get; init; }

    /// <summary>Gateway bench: CPU the API process spent during the phase, whichever side was measured (its background work when idle).</summary>
    public TimeSpan ApiProcessCpu { get; init; }
}

/// <summary>
/// N clients, each starting its next operation as soon as the previous one returns, until the deadline: the rate a
/// fixed number of callers gets, with the latency each of them sees.
/// </summary>
internal static class ClosedLoop
{
    /// <param name="operation">Given the client index; true for a success (2xx), false for a refusal. Exceptions abort the run.</param>
    public static async Task<PhaseResult> RunAsync(int clients, TimeSpan duration, Func<int, Task<bool>> operation)
    {
        var latencies = new List<long>[clients];
        long failed = 0;
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = new List<long>(4096);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var began = Stopwatch.GetTimestamp();
                if (await operation(client))
                {
                    mine.Add(Stopwatch.GetTimestamp() - began);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));

        // Operations in flight at the deadline finish and count, so the window is measured to the last of them.
        var elapsed = Stopwatch.GetElapsedTime(start);
        var all = latencies.SelectMany(l => l).ToArray();
        return new PhaseResult(all.Length, failed, elapsed, all);
    }

    public static double PercentileMs(IEnumerable<long> ticks, double percentile)
    {
        var sorted = ticks.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
