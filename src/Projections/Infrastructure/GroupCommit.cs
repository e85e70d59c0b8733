using System.Runtime.CompilerServices;
using EnvForge.Domain.Common;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;
using Npgsql;

namespace EnvForge.Projections.Infrastructure;

/// <summary>
/// One command waiting for a group: its stream, what it reads (enlisted in the group's one read), what it appends to the
/// stream the group fetched (<see cref="Apply"/>: false when it appends nothing, having answered itself), and how it is
/// answered once the group commits, or run alone when the group cannot be.
/// </summary>
internal abstract class GroupedWrite(Guid streamId)
{
    public Guid StreamId { get; } = streamId;

    /// <summary>Whether the command has its answer (the group commits it, or it needed no commit).</summary>
    public abstract bool IsAnswered { get; }

    /// <summary>Enlists the fetch of the stream (version and snapshot), and anything else the command reads, in the group's read.</summary>
    public abstract void Enlist(IBatchedQuery batch);

    /// <summary>
    /// On what the group read: appends the command's events to the fetched stream, each stamped with its own writer, and
    /// returns true; or answers the command at once (refused, nothing to do, lost the race) and returns false.
    /// </summary>
    public abstract bool Apply(EventRegistry registry);

    /// <summary>The group's transaction committed: the command's events are durable, and only now is it answered.</summary>
    public abstract void Committed();

    /// <summary>Runs the command alone, in its own session and transaction, exactly as if there were no group; never throws.</summary>
    public abstract Task AloneAsync();

    public abstract void Fail(Exception ex);

    /// <summary>The group's session serves many writers: who wrote each event travels on the event, not the session.</summary>
    protected static void AppendStamped<TState>(IEventStream<TState> stream, EventRegistry registry, IReadOnlyList<IDomainEvent> events, WriteContext writer)
        where TState : class
    {
        foreach (var data in events)
        {
            var e = registry.BuildEvent(data);
            e.UserName = writer.Actor;
            e.CorrelationId = writer.CorrelationId;
            e.CausationId = writer.CausationId;
            if (writer.ActorRole is { } role)
            {
                e.SetHeader(WriteContext.ActorRoleHeader, role);
            }

            stream.AppendOne(e);
        }
    }
}

/// <summary>A grouped command whose caller waits for a <typeparamref name="TResult"/>: how it is answered, once.</summary>
internal abstract class GroupedWrite<TResult>(Guid streamId) : GroupedWrite(streamId)
{
    private readonly TaskCompletionSource<TResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Done => _done.Task;

    public override bool IsAnswered => _done.Task.IsCompleted;

    public override void Fail(Exception ex) => _done.TrySetException(ex);

    public override async Task AloneAsync()
    {
        try
        {
            Answer(await RunAloneAsync());
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>The command alone, in its own session and transaction.</summary>
    protected abstract Task<TResult> RunAloneAsync();

    protected void Answer(TResult result) => _done.TrySetResult(result);
}

/// <summary>How an append decided outside the group ended (an exception is thrown to its command instead).</summary>
internal enum AppendOutcome
{
    /// <summary>Committed: durable, and only now may the command be acknowledged.</summary>
    Committed,

    /// <summary>The stream was not at the version the command decided on; nothing of it was appended.</summary>
    Conflict,
}

/// <summary>
/// A command decided before it joined the group (it read in its own session, say to start a workflow before its append):
/// the group checks its stream is still at the version it decided on, and appends its events if so. Alone, its own
/// session (its stream fetched, its events appended) commits it.
/// </summary>
internal sealed class DecidedAppend<TState>(
    IDocumentSession own, Guid streamId, long version, IReadOnlyList<IDomainEvent> events, WriteContext writer) : GroupedWrite<AppendOutcome>(streamId)
    where TState : class
{
    private Task<IEventStream<TState>>? _fetched;

    public override void Enlist(IBatchedQuery batch) => _fetched = batch.Events.FetchForWriting<TState>(StreamId);

    public override bool Apply(EventRegistry registry)
    {
        var stream = _fetched!.Result;
        if ((stream.CurrentVersion ?? 0) != version)
        {
            Answer(AppendOutcome.Conflict);
            return false;
        }

        AppendStamped(stream, registry, events, writer);
        return true;
    }

    public override void Committed() => Answer(AppendOutcome.Committed);

    protected override Task<AppendOutcome> RunAloneAsync() => GroupCommit.SaveAloneAsync(own);
}

/// <summary>
/// A command decided in the group: its stream and keyed reads are read in the group's one round trip, it is decided on
/// them there (nothing in a decision waits), and its events are appended in the group's transaction. Alone, it is the
/// whole command path in its own session (<paramref name="alone"/>), retries included.
/// </summary>
internal sealed class GroupedDecision<TCommand, TState, TReads>(
    StreamCommand<TCommand, TState, TReads> command, Func<TState?, TReads, TCommand?> build, Func<Task<StreamDecision<TState>>> alone)
    : GroupedWrite<StreamDecision<TState>>(command.StreamId)
    where TState : class
{
    private Task<IEventStream<TState>>? _stream;
    private Task<TReads>? _reads;
    private StreamDecision<TState>? _decided;

    public override void Enlist(IBatchedQuery batch) => (_stream, _reads) = command.Enlist(batch);

    public override bool Apply(EventRegistry registry)
    {
        var stream = _stream!.Result;
        var read = _reads!.Result;
        var decision = command.Decide(stream, read, build);
        if (!decision.Changed)
        {
            Answer(decision);
            return false;
        }

        AppendStamped(stream, registry, decision.Events, command.WriterFor(read));
        _decided = decision;
        return true;
    }

    public override void Committed() => Answer(_decided!);

    protected override Task<StreamDecision<TState>> RunAloneAsync() => alone();
}

/// <summary>
/// Group commit for the command path (one per document store, so per process): commands arriving together, on different
/// streams, are read in one round trip, decided there, and appended in one transaction, so one read and one commit (one
/// WAL flush) serve them all. A few groups run at once (<see cref="MaxInFlight"/>), none with a stream another holds, and
/// a group takes at most one command per stream, in arrival order: commands on one stream never race each other in the
/// process, each is decided on what the one before it committed. Each keeps its own decision and its own optimistic
/// check (the append's version check, against writers in other processes). Nothing is acknowledged before the commit.
/// Should a group's transaction fail (a writer elsewhere winning a race, an inline projection refusing one command),
/// nothing of it was committed and each command runs alone, so each gets exactly the outcome it would have had alone;
/// only a connection lost during the commit, with the outcome unknown, fails them all.
/// A command that finds a group free runs one at once on its own request (a lone writer pays nothing for the queue);
/// otherwise it waits, and the group that frees a place starts the next one with what has queued meanwhile.
/// </summary>
internal sealed class GroupCommit(IDocumentStore store)
{
    /// <summary>The most commands one group takes.</summary>
    public const int MaxGroup = 256;

    /// <summary>
    /// The most groups running at once. One alone leaves the database idle while a group's answers travel back and the
    /// next is built; a few keep it busy; more only split the commands into smaller groups.
    /// </summary>
    public const int MaxInFlight = 2;

    // One per store: the queue is the process's, not any request's. A weak table, so a disposed store takes it along.
    private static readonly ConditionalWeakTable<IDocumentStore, GroupCommit> PerStore = [];

    private readonly Lock _gate = new();
    private readonly EventRegistry _events = (EventRegistry)store.Options.Events;
    private readonly HashSet<Guid> _held = [];
    private List<GroupedWrite> _queue = [];
    private int _inFlight;

    public static GroupCommit For(IDocumentStore store) => PerStore.GetValue(store, s => new GroupCommit(s));

    /// <summary>Commits a session's appends in a transaction of their own; a lost race (the version check) is <see cref="AppendOutcome.Conflict"/>.</summary>
    public static async Task<AppendOutcome> SaveAloneAsync(IDocumentSession session)
    {
        try
        {
            await session.SaveChangesAsync(CancellationToken.None);
            return AppendOutcome.Committed;
        }
        catch (Exception ex) when (Concurrency.IsConflict(ex))
        {
            return AppendOutcome.Conflict;
        }
    }

    /// <summary>Queues the command and, when a group is free, runs one on this call; the command's own task answers it.</summary>
    public async Task RunAsync(GroupedWrite write)
    {
        List<GroupedWrite>? group;
        lock (_gate)
        {
            _queue.Add(write);
            group = TakeGroup();
        }

        if (group is not null)
        {
            await RunThenHandOnAsync(group);
        }
    }

    private async Task RunThenHandOnAsync(List<GroupedWrite> group)
    {
        List<GroupedWrite>? next;
        try
        {
            await RunGroupAsync(group);
        }
        finally
        {
            lock (_gate)
            {
                foreach (var write in group)
                {
                    _held.Remove(write.StreamId);
                }

                _inFlight--;
                next = TakeGroup();
            }
        }

        if (next is not null)
        {
            // What queued meanwhile runs in the background, not on this request, whose command is answered.
            _ = Task.Run(() => RunThenHandOnAsync(next));
        }
    }

    /// <summary>
    /// Under the gate: when a group is free, the first queued command of each stream no running group holds, in arrival
    /// order, up to <see cref="MaxGroup"/>; the rest stay queued in order. Null when no group is free or nothing can run.
    /// </summary>
    private List<GroupedWrite>? TakeGroup()
    {
        if (_inFlight >= MaxInFlight || _queue.Count == 0)
        {
            return null;
        }

        var group = new List<GroupedWrite>(Math.Min(_queue.Count, MaxGroup));
        var rest = new List<GroupedWrite>();
        foreach (var write in _queue)
        {
            (group.Count < MaxGroup && _held.Add(write.StreamId) ? group : rest).Add(write);
        }

        _queue = rest;
        if (group.Count == 0)
        {
            return null;
        }

        _inFlight++;
        return group;
    }

    /// <summary>Reads, decides, commits and answers one group; never throws (a command's failure is its own answer).</summary>
    private async Task RunGroupAsync(List<GroupedWrite> group)
    {
        if (group.Count == 1)
        {
            await group[0].AloneAsync();
            return;
        }

        var appended = new List<GroupedWrite>(group.Count);
        var committing = false;
        try
        {
            await using var session = store.LightweightSession();
            var batch = session.CreateBatchQuery();
            foreach (var write in group)
            {
                write.Enlist(batch);
            }

            await batch.Execute(CancellationToken.None);
            foreach (var write in group)
            {
                if (Apply(write))
                {
                    appended.Add(write);
                }
            }

            if (appended.Count > 0)
            {
                committing = true;
                await session.SaveChangesAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (committing && IsConnectionLoss(ex))
        {
            // The connection failed during the commit: the outcome is unknown, exactly as for a command alone.
            foreach (var write in appended)
            {
                write.Fail(ex);
            }

            return;
        }
        catch (Exception)
        {
            // Nothing of the group was committed: each command not yet answered runs alone and gets its own outcome.
            await Task.WhenAll(group.Where(w => !w.IsAnswered).Select(w => w.AloneAsync()));
            return;
        }

        foreach (var write in appended)
        {
            write.Committed();
        }
    }

    /// <summary>The connection failed (not the server refusing a statement), however Marten wraps it.</summary>
    private static bool IsConnectionLoss(Exception ex) =>
        ex is NpgsqlException and not PostgresException || ex.InnerException is NpgsqlException and not PostgresException;

    /// <summary>One command's part of the group: a command that throws (a bug in its decider, say) fails alone, appending nothing.</summary>
    private bool Apply(GroupedWrite write)
    {
        try
        {
            return write.Apply(_events);
        }
        catch (Exception ex)
        {
            write.Fail(ex);
            return false;
        }
    }
}
