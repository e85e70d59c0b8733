using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using EnvForge.Domain.Audit;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Projections.Audit;

/// <summary>How far a rebuild is: events done of the event store's high-water mark, the rate, and the time left.</summary>
public sealed record RebuildProgress(
    Guid Id, string Projection, string Status, long EventsDone, long EventsTotal, double EventsPerSecond, double? SecondsLeft,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, RebuildComparison? Comparison = null, string? Error = null);

/// <summary>The projection's read models before and after, and (for the audit trail) its chains against their seals.</summary>
public sealed record RebuildComparison(bool Equal, IReadOnlyList<ReadModelDigest> Before, IReadOnlyList<ReadModelDigest> After, ChainComparison? Chains);

/// <summary>An order-independent digest of one document table: row count, and an XOR and a sum of per-row MD5s of id and JSON.</summary>
public sealed record ReadModelDigest(string Table, long Rows, string Digest);

public sealed record ChainComparison(int Orgs, int OrgsDiffering, int SealsChecked, int SealsBroken, string? FirstDifference)
{
    public bool Equal => OrgsDiffering == 0 && SealsBroken == 0;
}

/// <summary>
/// Rebuilds any projection from the full history through Marten's daemon (the running one where this process projects,
/// else one of its own), reporting progress from the daemon's stored progression (events done of the high-water mark,
/// rate, time left), and compares the read models before and after: a rebuild must give back exactly what the live
/// projection built. For the audit trail it also compares every org's chain head and checks every stored seal against
/// the rebuilt chain. Run rebuilds in a quiet moment: writes that land meanwhile race the replay of inline projections.
/// </summary>
public sealed class ProjectionRebuilds(IDocumentStore store, TimeProvider time, IServiceProvider services)
{
    private readonly ConcurrentDictionary<Guid, RebuildProgress> _jobs = new();
    private readonly ConcurrentDictionary<string, Guid> _running = new(StringComparer.Ordinal);

    private StoreOptions Options => ((DocumentStore)store).Options;

    /// <summary>Every projection that can be rebuilt (inline and asynchronous; live aggregations store nothing).</summary>
    public IReadOnlyList<string> Names => [.. Options.Projections.All.Where(p => p.Lifecycle != ProjectionLifecycle.Live).Select(p => p.Name).Order(StringComparer.Ordinal)];

    public RebuildProgress? Find(Guid id) => _jobs.GetValueOrDefault(id);

    public IReadOnlyList<RebuildProgress> All => [.. _jobs.Values.OrderByDescending(j => j.StartedAt)];

    /// <summary>Starts a rebuild in the background; null when that projection is already being rebuilt here.</summary>
    public RebuildProgress? Start(string projection)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        if (!_running.TryAdd(projection, id))
        {
            return null;
        }

        var started = new RebuildProgress(id, projection, "running", 0, 0, 0, null, time.GetUtcNow(), null);
        _jobs[id] = started;
        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(projection, id, p => _jobs[id] = p, CancellationToken.None);
            }
            finally
            {
                _running.TryRemove(projection, out _);
            }
        });
        return started;
    }

    /// <summary>Rebuilds one projection now, reporting progress about twice a second; the last report is the result.</summary>
    public async Task<RebuildProgress> RunAsync(string projection, Guid id, Action<RebuildProgress> report, CancellationToken ct)
    {
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var total = (await store.Advanced.FetchEventStoreStatistics(token: ct)).EventSequenceNumber;
        var progress = new RebuildProgress(id, projection, "running", 0, total, 0, null, startedAt, null);
        report(progress);
        try
        {
            var tables = Tables(projection);
            var before = await DigestsAsync(tables, ct);
            var heads = projection == AuditTrailProjection.Name ? await HeadsAsync(ct) : null;

            // The running daemon when this process has one (it is the coordinator's: never disposed here), else one of our own.
            var running = services.GetService<Marten.Events.Daemon.Coordination.IProjectionCoordinator>()?.DaemonForMainDatabase();
            using var owned = running is null ? await store.BuildProjectionDaemonAsync() : null;
            var daemon = running ?? owned!;
            var rebuild = daemon.RebuildProjectionAsync(projection, TimeSpan.FromHours(12), ct);
            while (await Task.WhenAny(rebuild, Task.Delay(TimeSpan.FromMilliseconds(500), ct)) != rebuild)
            {
                var done = Math.Min(total, await store.Advanced.ProjectionProgressFor(new ShardName(projection, "All", 1), token: ct));
                report(progress = Progress(progress, done, clock.Elapsed));
            }

            await rebuild;
            var after = await DigestsAsync(tables, ct);
            var chains = heads is null ? null : await CompareChainsAsync(heads, ct);
            var equal = before.SequenceEqual(after) && chains?.Equal != false;
            progress = Progress(progress, total, clock.Elapsed) with
            {
                Status = "succeeded",
                FinishedAt = time.GetUtcNow(),
                Comparison = new RebuildComparison(equal, before, after, chains),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            progress = progress with { Status = "failed", FinishedAt = time.GetUtcNow(), Error = Describe(ex) };
        }

        report(progress);
        return progress;
    }

    /// <summary>The failure and, when the daemon wrapped it (which event it could not apply), what caused it.</summary>
    private static string Describe(Exception ex)
    {
        var cause = ex;
        while (cause.InnerException is { } inner)
        {
            cause = inner;
        }

        var failure = $"{ex.GetType().Name}: {ex.Message}";
        return cause == ex ? failure : $"{failure} (cause: {cause.GetType().Name}: {cause.Message})";
    }

    private static RebuildProgress Progress(RebuildProgress p, long done, TimeSpan elapsed)
    {
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        return p with { EventsDone = done, EventsPerSecond = Math.Round(rate, 1), SecondsLeft = rate > 0 ? Math.Round((p.EventsTotal - done) / rate, 1) : null };
    }

    /// <summary>The document tables a projection writes.</summary>
    private List<string> Tables(string projection)
    {
        if (!Options.Projections.TryFindProjection(projection, out var source))
        {
            throw new ArgumentException($"no projection named '{projection}'", nameof(projection));
        }

        var types = source.PublishedTypes().ToList();
        if (projection == AuditTrailProjection.Name)
        {
            types = [typeof(AuditEntry), typeof(AuditChainHead)];
        }

        // Every type the projection writes has a table: one missing here would make the comparison silently cover less.
        IReadOnlyStoreOptions options = Options;
        return [.. types.Distinct().Select(t => options.FindOrResolveDocumentType(t).TableName.QualifiedName).Order(StringComparer.Ordinal)];
    }

    private async Task<List<ReadModelDigest>> DigestsAsync(List<string> tables, CancellationToken ct)
    {
        var digests = new List<ReadModelDigest>();
        await using var session = store.QuerySession();
        foreach (var table in tables)
        {
            const string RowHash = "md5(d.id::text || ':' || d.data::text)";
            var row = (await session.AdvancedSql.QueryAsync<string>(
                $"""
                select count(*)::text || ' ' || coalesce(bit_xor(('x' || substr({RowHash}, 1, 16))::bit(64)::bigint), 0)::text || ' '
                       || coalesce(sum(('x' || substr({RowHash}, 17, 15))::bit(60)::bigint), 0)::text
                from {table} d
                """, ct)).Single().Split(' ');
            digests.Add(new ReadModelDigest(table, long.Parse(row[0], CultureInfo.InvariantCulture), $"{row[1]}-{row[2]}"));
        }

        return digests;
    }

    private async Task<Dictionary<Guid, AuditChainHead>> HeadsAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.Query<AuditChainHead>().ToListAsync(ct)).ToDictionary(h => h.Id);
    }

    /// <summary>Every org's rebuilt head against the one stored before, and every seal against the rebuilt chain.</summary>
    private async Task<ChainComparison> CompareChainsAsync(Dictionary<Guid, AuditChainHead> before, CancellationToken ct)
    {
        var after = await HeadsAsync(ct);
        string? first = null;
        var differing = 0;
        foreach (var org in before.Keys.Union(after.Keys))
        {
            var (b, a) = (before.GetValueOrDefault(org), after.GetValueOrDefault(org));
            if (b?.Index != a?.Index || b?.Hash != a?.Hash)
            {
                differing++;
                first ??= $"org {org}: head was {b?.Index}:{b?.Hash} and is {a?.Index}:{a?.Hash}";
            }
        }

        int sealsChecked = 0, broken = 0;
        await using var session = store.QuerySession();
        var lastId = "";
        while (true)
        {
            var after1 = lastId;
            var seals = await session.Query<AuditSeal>().Where(s => string.Compare(s.Id, after1) > 0).OrderBy(s => s.Id).Take(500).ToListAsync(ct);
            if (seals.Count == 0)
            {
                break;
            }

            foreach (var seal in seals)
            {
                var entry = await session.Query<AuditEntry>().Where(e => e.OrgId == seal.OrgId && e.ChainIndex == seal.ToIndex).FirstOrDefaultAsync(ct);
                sealsChecked++;
                if (entry?.Hash != seal.ChainHash)
                {
                    broken++;
                    first ??= $"seal {seal.Id}: the rebuilt entry {seal.ToIndex} has hash {entry?.Hash}, the seal signed {seal.ChainHash}";
                }
            }

            lastId = seals[^1].Id;
        }

        return new ChainComparison(before.Keys.Union(after.Keys).Count(), differing, sealsChecked, broken, first);
    }
}
