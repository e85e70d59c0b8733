using System.Runtime.CompilerServices;
using EnvForge.Domain.Common;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;
using Npgsql;

namespace EnvForge.Projections.Infrastructure;

/// <summary>How an append handed to <see cref="GroupCommit"/> ended (an exception is thrown to its command instead).</summary>
internal enum AppendOutcome
{
    /// <summary>Committed: durable, and only now may the command be acknowledged.</summary>
    Committed,

    /// <summary>The stream was not at the version the command decided on; nothing of it was appended.</summary>
    Conflict,
}

/// <summary>
/// One decided command, waiting to be committed: its stream, the version it decided on, its events, who wrote them, and
/// the command's own session (its stream fetched, its events appended), which commits it alone when it is alone.
/// </summary>
internal abstract class PendingAppend(Guid streamId, long version)
{
    private readonly TaskCompletionSource<AppendOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Guid StreamId { get; } = streamId;

    /// <summary>The stream's version the command was decided on.</summary>
    public long Version { get; } = version;

    public Task<AppendOutcome> Done => _done.Task;

    public void Complete(AppendOutcome outcome) => _done.TrySetResult(outcome);

    public void Fail(Exception ex) => _done.TrySetException(ex);

    /// <summary>Commits this command alone, in its own session and transaction, as if there were no group.</summary>
    public abstract Task<AppendOutcome> CommitAloneAsync(CancellationToken ct);

    /// <summary>Enlists the fetch of the stream (version and snapshot) in the group's read.</summary>
    public abstract void Fetch(IBatchedQuery batch);

    /// <summary>The version the group's read found.</summary>
    public abstract long FetchedVersion { get; }

    /// <summary>Appends the events to the stream fetched in the group's session, each stamped with its own writer.</summary>
    public abstract void AppendToFetched(EventRegistry events);
}

internal sealed class PendingAppend<TState>(
    IDocumentSession own, Guid streamId, long version, IReadOnlyList<IDomainEvent> events, WriteContext context) : PendingAppend(streamId, version)
    where TState : class
{
    private Task<IEventStream<TState>>? _fetched;

    public override async Task<AppendOutcome> CommitAloneAsync(CancellationToken ct)
    {
        try
        {
            await own.SaveChangesAsync(ct);
            return AppendOutcome.Committed;
        }
        catch (Exception ex) when (Concurrency.IsConflict(ex))
        {
            return AppendOutcome.Conflict;
        }
    }

    public override void Fetch(IBatchedQuery batch) => _fetched = batch.Events.FetchForWriting<TState>(StreamId);

    public override long FetchedVersion => _fetched!.Result.CurrentVersion ?? 0;

    public override void AppendToFetched(EventRegistry registry)
    {
        var stream = _fetched!.Result;
        foreach (var data in events)
        {
            // The group's session serves many writers: who wrote each event travels on the event, not the session.
            var e = registry.BuildEvent(data);
            e.UserName = context.Actor;
            e.CorrelationId = context.CorrelationId;
            e.CausationId = context.CausationId;
            if (context.ActorRole is { } role)
            {
                e.SetHeader(WriteContext.ActorRoleHeader, role);
            }

            stream.AppendOne(e);
        }
    }
}

/// <summary>
/// Group commit for the command path (one per document store, so per process): commands decided concurrently, on the
/// same or different streams, are appended in one transaction, so one commit (one WAL flush) serves them all. Each keeps
/// its own decision and its own optimistic check: the group reads every stream's version (and snapshot) again in one
/// round trip, and a command whose stream moved since it decided, or that a command before it in the group already
/// appended to, is answered <see cref="AppendOutcome.Conflict"/> and decides again, exactly as it would have lost the race
/// alone. Nothing is acknowledged before the commit. Should the group's transaction fail (an inline projection refusing
/// one command, a writer elsewhere winning a race), nothing of it was committed and each command is committed alone,
/// so each gets exactly the outcome it would have had alone; only a connection lost with the outcome unknown fails them all.
/// Whoever finds no commit in progress leads: commits what is queued (its own first), and hands on to a background
/// drain if more arrived meanwhile, so a lone writer pays nothing for the queue.
/// </summary>
internal sealed class GroupCommit(IDocumentStore store)
{
    /// <summary>The most commands one transaction takes.</summary>
    public const int MaxGroup = 256;

    // One per store: the queue is the process's, not any request's. A weak table, so a disposed store takes it along.
    private static readonly ConditionalWeakTable<IDocumentStore, GroupCommit> PerStore = [];

    private readonly Lock _gate = new();
    private readonly EventRegistry _events = (EventRegistry)store.Options.Events;
    private List<PendingAppend> _queue = [];
    private bool _draining;

    public static GroupCommit For(IDocumentStore store) => PerStore.GetValue(store, s => new GroupCommit(s));

    public async Task<AppendOutcome> CommitAsync(PendingAppend pending)
    {
        bool lead;
        lock (_gate)
        {
            _queue.Add(pending);
            lead = !_draining;
            _draining = true;
        }

        if (lead)
        {
            await DrainAsync(pending);
        }

        return await pending.Done;
    }

    /// <summary>Commits what is queued, group after group, until <paramref name="mine"/> is done (null: until the queue is empty).</summary>
    private async Task DrainAsync(PendingAppend? mine)
    {
        while (true)
        {
            List<PendingAppend> group;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }

                if (mine is { Done.IsCompleted: true })
                {
                    // The leader's own command is answered: the rest is drained in the background, not on its request.
                    _ = Task.Run(() => DrainAsync(null));
                    return;
                }

                if (_queue.Count <= MaxGroup)
                {
                    (group, _queue) = (_queue, []);
                }
                else
                {
                    group = _queue[..MaxGroup];
                    _queue.RemoveRange(0, MaxGroup);
                }
            }

            await CommitGroupAsync(group);
        }
    }

    /// <summary>Commits one group and answers each of its commands; never throws (a command's failure is its own answer).</summary>
    private async Task CommitGroupAsync(List<PendingAppend> group)
    {
        if (group.Count == 1)
        {
            await AloneAsync(group[0]);
            return;
        }

        var appended = new HashSet<PendingAppend>(group.Count);
        try
        {
            await using var session = store.LightweightSession();
            var batch = session.CreateBatchQuery();
            var first = new Dictionary<Guid, PendingAppend>();
            foreach (var pending in group)
            {
                if (first.TryAdd(pending.StreamId, pending))
                {
                    pending.Fetch(batch);
                }
            }

            await batch.Execute(CancellationToken.None);
            foreach (var pending in group)
            {
                // One append per stream and group, and only at the version it was decided on: any other lost the race.
                if (first[pending.StreamId] == pending && pending.FetchedVersion == pending.Version)
                {
                    pending.AppendToFetched(_events);
                    appended.Add(pending);
                }
            }

            if (appended.Count > 0)
            {
                await session.SaveChangesAsync(CancellationToken.None);
            }
        }
        catch (NpgsqlException ex) when (ex is not PostgresException)
        {
            // The connection failed, perhaps during the commit: the outcome is unknown, exactly as for a command alone.
            foreach (var pending in group)
            {
                pending.Fail(ex);
            }

            return;
        }
        catch (Exception)
        {
            // Nothing of the group was committed: each command is committed alone and gets its own outcome.
            await Task.WhenAll(group.Select(AloneAsync));
            return;
        }

        foreach (var pending in group)
        {
            pending.Complete(appended.Contains(pending) ? AppendOutcome.Committed : AppendOutcome.Conflict);
        }
    }

    private static async Task AloneAsync(PendingAppend pending)
    {
        try
        {
            pending.Complete(await pending.CommitAloneAsync(CancellationToken.None));
        }
        catch (Exception ex)
        {
            pending.Fail(ex);
        }
    }
}
