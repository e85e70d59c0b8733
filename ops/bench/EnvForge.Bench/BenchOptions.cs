namespace EnvForge.Bench;

/// <summary>What one run measures: the write path (the default) or the dev-link gateway (<c>gateway</c>).</summary>
internal enum BenchMode
{
    Write,
    Gateway,
}

internal sealed record BenchOptions(
    int Seconds, int WarmupSeconds, int Rounds, IReadOnlyList<int> Clients, IReadOnlyList<int> MembersPerOrg, bool Daemon, string ApiDll)
{
    public const string Usage =
        "usage: EnvForge.Bench [gateway] [--seconds N] [--warmup N] [--rounds N] [--clients 1,16] [--members-per-org 10,10000] [--daemon] " +
        "[--limit pgbench|npgsql] [--body 100,4096] [--upstream-process] [--upstream-delay-ms N] [--api PATH/EnvForge.Api.dll] " +
        "[--baseline-api PATH/EnvForge.Api.dll]";

    /// <summary>pgbench of the PostgreSQL the bench runs against, when installed (the Debian package's place).</summary>
    public const string DefaultPgbench = "/usr/lib/postgresql/15/bin/pgbench";

    /// <summary>
    /// How the physical limit is measured: <c>pgbench</c> (the default when installed) or <c>npgsql</c> (a raw Npgsql
    /// single-row insert loop in the bench process).
    /// </summary>
    public string Limit { get; init; } = File.Exists(DefaultPgbench) ? "pgbench" : "npgsql";

    public BenchMode Mode { get; init; } = BenchMode.Write;

    /// <summary>
    /// Write mode: another build of the API (say, main's, which <c>ops/bench.sh --baseline REF</c> builds), run beside this
    /// one on the same database and measured interleaved with it, round by round: a change's effect as a ratio from one run.
    /// </summary>
    public string? BaselineApiDll { get; init; }

    /// <summary>Gateway mode: the upstream's response body sizes, in bytes; one set of rows per size.</summary>
    public IReadOnlyList<int> BodyBytes { get; init; } = [100];

    /// <summary>Gateway mode: the upstream in a child process instead of the bench's own (where the clients run).</summary>
    public bool UpstreamProcess { get; init; }

    /// <summary>
    /// Gateway mode: how long the upstream waits before it answers (0, the default: at once). An app waiting on its
    /// database or another service for a few milliseconds, which leaves the CPU free, unlike the trivial upstream.
    /// </summary>
    public int UpstreamDelayMs { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        // The gateway compares two cheap HTTP hops, not transactions: shorter phases settle, and 32 clients is the
        // concurrency a few browsers opening one dev URL each produce.
        var options = args.Contains("gateway")
            ? new BenchOptions(5, 2, 3, [1, 32], [100], false, DefaultApiDll()) { Mode = BenchMode.Gateway }
            : new BenchOptions(5, 5, 3, [1, 16], [10, 10_000], false, DefaultApiDll());
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            options = args[i] switch
            {
                "gateway" => options,
                "--seconds" => options with { Seconds = Positive(args[i], value) },
                "--warmup" => options with { WarmupSeconds = Positive(args[i], value) },
                "--rounds" => options with { Rounds = Positive(args[i], value) },
                "--members-per-org" => options with { MembersPerOrg = [.. (value ?? "").Split(',').Select(c => Positive(args[i], c))] },
                "--limit" => options with { Limit = value is "pgbench" or "npgsql" ? value : throw new ArgumentException("--limit is pgbench or npgsql") },
                "--clients" => options with { Clients = [.. (value ?? "").Split(',').Select(c => Positive(args[i], c))] },
                "--body" => options with { BodyBytes = [.. (value ?? "").Split(',').Select(c => Positive(args[i], c))] },
                "--api" => options with { ApiDll = value ?? throw new ArgumentException("--api needs a path") },
                "--baseline-api" => options with { BaselineApiDll = File.Exists(value) ? value : throw new ArgumentException($"--baseline-api: {value} not found") },
                "--daemon" => options with { Daemon = true },
                "--upstream-process" => options with { UpstreamProcess = true },
                "--upstream-delay-ms" => options with { UpstreamDelayMs = Positive(args[i], value) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
            if (args[i] is not ("--daemon" or "--upstream-process" or "gateway"))
            {
                i++;
            }
        }

        return File.Exists(options.ApiDll) ? options : throw new ArgumentException($"{options.ApiDll} not found: build src/Api in Release first");
    }

    private static int Positive(string name, string? value) =>
        int.TryParse(value, out var n) && n > 0 ? n : throw new ArgumentException($"{name} needs a positive integer");

    /// <summary>The Release build of the API in the repository this bench was built from.</summary>
    private static string DefaultApiDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EnvForge.sln")))
            {
                return Path.Combine(dir.FullName, "src", "Api", "bin", "Release", "net10.0", "EnvForge.Api.dll");
            }
        }

        return "EnvForge.Api.dll";
    }
}
