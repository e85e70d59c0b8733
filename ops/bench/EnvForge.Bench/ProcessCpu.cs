using System.Globalization;

namespace EnvForge.Bench;

/// <summary>
/// CPU spent by a set of processes during a phase, read from <c>/proc</c>: the PostgreSQL backends serving the bench's
/// database (matched by their process title), or a child such as pgbench. Sampled while the phase runs, so a process that
/// exits before the end (pgbench's connections) still counts up to its last sample. Null where <c>/proc</c> cannot tell
/// (another machine's server, another OS).
/// </summary>
internal sealed class ProcessCpu : IAsyncDisposable
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly Func<int, string, bool> _include;
    private readonly HashSet<int> _matched = [];
    private readonly Dictionary<int, long> _first = [];
    private readonly Dictionary<int, long> _last = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    private ProcessCpu(Func<int, string, bool> include)
    {
        _include = include;
        Scan();
        Sample(initial: true);
        _sampler = Task.Run(async () =>
        {
            // Cheap: the matched processes every 250 ms; the whole process list (for new backends) once a second.
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            try
            {
                for (var tick = 1; await timer.WaitForNextTickAsync(_stop.Token); tick++)
                {
                    if (tick % 4 == 0)
                    {
                        Scan();
                    }

                    Sample(initial: false);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        });
    }

    public static bool Available => OperatingSystem.IsLinux() && Directory.Exists("/proc/self");

    /// <summary>The backends of <paramref name="database"/> (their title names it), when the server runs on this machine.</summary>
    public static ProcessCpu? ForDatabase(string database) =>
        Available ? new ProcessCpu((_, title) => title.StartsWith("postgres: ", StringComparison.Ordinal) && title.Contains($" {database} ", StringComparison.Ordinal)) : null;

    /// <summary>One process (and nothing else), such as a pgbench child.</summary>
    public static ProcessCpu? ForProcess(int pid) => Available ? new ProcessCpu((p, _) => p == pid) : null;

    /// <summary>Stops sampling and answers the CPU the matched processes spent since the start.</summary>
    public async Task<TimeSpan> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        Scan();
        Sample(initial: false);
        long ticks = 0;
        lock (_last)
        {
            foreach (var (pid, last) in _last)
            {
                ticks += last - _first.GetValueOrDefault(pid);
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampler;
        }

        _stop.Dispose();
    }

    /// <summary>Finds the processes to follow (new PostgreSQL backends appear as connections open).</summary>
    private void Scan()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || _matched.Contains(pid))
            {
                continue;
            }

            try
            {
                if (_include(pid, File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')))
                {
                    lock (_last)
                    {
                        _matched.Add(pid);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended between the listing and the read.
            }
        }
    }

    private void Sample(bool initial)
    {
        int[] pids;
        lock (_last)
        {
            pids = [.. _matched];
        }

        foreach (var pid in pids)
        {
            try
            {
                // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are the 12th and 13th.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpu = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                lock (_last)
                {
                    if (initial)
                    {
                        _first[pid] = cpu;
                    }

                    _last[pid] = cpu;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The process ended: its last sample stands.
            }
        }
    }
}
