using EnvForge.Domain.Common;
using JasperFx.Events;
using Marten;
using Marten.Services.BatchQuerying;

namespace EnvForge.Projections.Infrastructure;

/// <summary>Who writes, and as part of what: stamped on the metadata of every event the write appends.</summary>
/// <param name="Actor">The user subject, or <c>system:...</c> for a workflow step.</param>
/// <param name="CorrelationId">One per request or workflow run.</param>
/// <param name="CausationId">What caused this write within the correlation (an activity, a signal), when known.</param>
/// <param name="ActorRole">The role a user acts in, in the org the write is about (the API path fills it); null for workflow steps.</param>
public sealed record WriteContext(string Actor, string? CorrelationId = null, string? CausationId = null, string? ActorRole = null)
{
    /// <summary>The event header that carries <see cref="ActorRole"/>.</summary>
    public const string ActorRoleHeader = "actor_role";
}

public enum DecisionStatus
{
    /// <summary>The decision's events were appended and committed.</summary>
    Appended,

    /// <summary>Nothing to do: the decider returned no events (a repeat), or the command builder had nothing to ask.</summary>
    Unchanged,

    /// <summary>The decider refused; nothing was appended.</summary>
    Rejected,

    /// <summary>Other writers kept winning the race for the stream; nothing was appended.</summary>
    Conflict,

    /// <summary>The step before the append said not to go on (say, the stream's workflow cannot be started); nothing was appended.</summary>
    Abandoned,

    /// <summary>The caller named an expected version that is not the stream's; nothing was appended.</summary>
    PreconditionFailed,
}

/// <summary>The outcome of one command on one stream.</summary>
/// <param name="State">The stream's state after the command (null when the stream does not exist and nothing was appended).</param>
/// <param name="Version">The stream's version after the command (the current one when nothing was appended).</param>
/// <param name="Events">What was appended (empty unless <see cref="DecisionStatus.Appended"/>).</param>
public sealed record StreamDecision<TState>(DecisionStatus Status, TState? State, long Version, IReadOnlyList<IDomainEvent> Events, Rejection? Rejection = null)
    where TState : class
{
    public bool Changed => Status == DecisionStatus.Appended;
}

/// <summary>
/// Builds the command from the stream's current state, reading any further facts it needs by key through
/// <paramref name="session"/> (they are read after the stream's version, so the append's version check covers them).
/// Returns null when there is nothing to ask.
/// </summary>
public delegate ValueTask<TCommand?> CommandFor<TCommand, in TState>(TState? state, IQuerySession session, CancellationToken ct);

/// <summary>
/// Enlists the documents a command reads by key besides its stream (the memberships an org command touches, say) in the
/// round trip that reads the stream: they are read after the stream's version, so the append's version check covers them
/// as long as only that stream's transactions write them. The task completes once the batch has run.
/// </summary>
public delegate Task<TReads> StreamReads<TReads>(IBatchedQuery batch);

/// <summary>
/// The one "load -> decide -> append" of EnvForge, for every stream and both sides (the API and the activities): load
/// the state with <c>FetchForWriting</c> (and any keyed reads the command needs, in the same round trip), build the
/// command from it, decide, append at the version read, commit. A stream is started the same way (its state is null
/// until its first event). A command built from what was read alone is read, decided and committed with the commands
/// that arrive with it (<see cref="GroupCommit"/>); one that reads more on its own, or runs a step before its append,
/// reads and decides in its own session and joins a group for its commit. When another writer appends first, the
/// version check fails and the command is decided again on what is there now, in a fresh session, a bounded number of
/// times; a caller that named the version it expects gets <see cref="DecisionStatus.PreconditionFailed"/> at once.
/// Nothing is acknowledged before the commit.
/// </summary>
public static class StreamDecisions
{
    public const int DefaultAttempts = 3;

    /// <param name="command">Builds the command from the state, reading further facts through the session it is given.</param>
    /// <param name="authorize">
    /// Checked on the loaded state before anything else (the expected version included), so a caller who may not see the
    /// stream learns nothing about it; a refusal is answered like the decider's.
    /// </param>
    /// <param name="beforeAppend">
    /// Runs once the decision is made and before it is appended (say, to start the stream's workflow first); false
    /// abandons the command with nothing appended.
    /// </param>
    public static Task<StreamDecision<TState>> DecideAsync<TCommand, TState>(
        IDocumentStore store,
        Decider<TCommand, TState> decider,
        Guid streamId,
        CommandFor<TCommand, TState> command,
        WriteContext context,
        long? expectedVersion = null,
        Func<TState?, Rejection?>? authorize = null,
        Func<TState, CancellationToken, Task<bool>>? beforeAppend = null,
        int attempts = DefaultAttempts,
        CancellationToken ct = default)
        where TState : class =>
        DecideInSessionAsync(
            store, OnStateAlone(decider, streamId, authorize, context, expectedVersion),
            (state, _, session, token) => command(state, session, token), beforeAppend, grouped: true, attempts, ct);

    /// <summary>The same path with a command that needs nothing but the state.</summary>
    public static Task<StreamDecision<TState>> DecideAsync<TCommand, TState>(
        IDocumentStore store, Decider<TCommand, TState> decider, Guid streamId, Func<TState?, TCommand?> command, WriteContext context,
        long? expectedVersion = null, Func<TState?, Rejection?>? authorize = null, Func<TState, CancellationToken, Task<bool>>? beforeAppend = null,
        int attempts = DefaultAttempts, CancellationToken ct = default)
        where TState : class =>
        DecideAsync(store, OnStateAlone(decider, streamId, authorize, context, expectedVersion), (state, _) => command(state), beforeAppend, attempts, ct);

    /// <summary>
    /// The same path with documents read by key beside the stream, in its round trip (<paramref name="reads"/>); the
    /// authorization and the command see them with the state.
    /// </summary>
    /// <param name="actorRole">
    /// The writer's role, from what was read (the caller's membership, say): stamped on the events as
    /// <see cref="WriteContext.ActorRole"/> in place of the context's, so it costs no read of its own.
    /// </param>
    public static Task<StreamDecision<TState>> DecideAsync<TCommand, TState, TReads>(
        IDocumentStore store, Decider<TCommand, TState> decider, Guid streamId, StreamReads<TReads> reads, Func<TState?, TReads, TCommand?> command,
        WriteContext context, long? expectedVersion = null, Func<TState?, TReads, Rejection?>? authorize = null,
        Func<TState, CancellationToken, Task<bool>>? beforeAppend = null, int attempts = DefaultAttempts, Func<TReads, string?>? actorRole = null,
        CancellationToken ct = default)
        where TState : class =>
        DecideAsync(store, new StreamCommand<TCommand, TState, TReads>(decider, streamId, reads, authorize, context, actorRole, expectedVersion), command, beforeAppend, attempts, ct);

    /// <summary>A command built from what was read alone: decided in a group, unless a step must run before its append.</summary>
    private static async Task<StreamDecision<TState>> DecideAsync<TCommand, TState, TReads>(
        IDocumentStore store, StreamCommand<TCommand, TState, TReads> command, Func<TState?, TReads, TCommand?> build,
        Func<TState, CancellationToken, Task<bool>>? beforeAppend, int attempts, CancellationToken ct)
        where TState : class
    {
        var inSession = (TState? state, TReads read, IQuerySession _, CancellationToken _) => ValueTask.FromResult(build(state, read));
        if (beforeAppend is not null)
        {
            return await DecideInSessionAsync(store, command, inSession, beforeAppend, grouped: true, attempts, ct);
        }

        ct.ThrowIfCancellationRequested();
        var grouped = new GroupedDecision<TCommand, TState, TReads>(
            command, build, alone: () => DecideInSessionAsync(store, command, inSession, beforeAppend: null, grouped: false, attempts, CancellationToken.None));
        await GroupCommit.For(store).RunAsync(grouped);
        return await grouped.Done;
    }

    /// <summary>
    /// The command read and decided in a session of its own, a fresh one per attempt (one whose save lost the race still
    /// holds the events it could not append); committed in a group (<paramref name="grouped"/>) or alone.
    /// </summary>
    private static async Task<StreamDecision<TState>> DecideInSessionAsync<TCommand, TState, TReads>(
        IDocumentStore store,
        StreamCommand<TCommand, TState, TReads> command,
        Func<TState?, TReads, IQuerySession, CancellationToken, ValueTask<TCommand?>> build,
        Func<TState, CancellationToken, Task<bool>>? beforeAppend,
        bool grouped,
        int attempts,
        CancellationToken ct)
        where TState : class
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var (stream, read) = await command.ReadAsync(session, ct);
            var writer = command.WriterFor(read);
            Stamp(session, writer);
            var state = stream.Aggregate;
            var current = stream.CurrentVersion ?? 0;
            if (command.Check(state, current, read) is { } answered)
            {
                return answered;
            }

            var decision = command.Judge(await build(state, read, session, ct), state, current);
            if (!decision.Changed)
            {
                return decision;
            }

            if (beforeAppend is not null && !await beforeAppend(decision.State!, ct))
            {
                return new(DecisionStatus.Abandoned, state, current, []);
            }

            stream.AppendMany(decision.Events);
            if (await CommitAsync<TState>(store, session, command.StreamId, current, decision.Events, writer, grouped) == AppendOutcome.Committed)
            {
                return decision;
            }

            if (command.ExpectedVersion is not null)
            {
                return new(DecisionStatus.PreconditionFailed, state, current, []);
            }

            if (attempt >= attempts)
            {
                return new(DecisionStatus.Conflict, state, current, []);
            }
        }
    }

    private static async Task<AppendOutcome> CommitAsync<TState>(
        IDocumentStore store, IDocumentSession session, Guid streamId, long version, IReadOnlyList<IDomainEvent> events, WriteContext writer, bool grouped)
        where TState : class
    {
        if (!grouped)
        {
            return await GroupCommit.SaveAloneAsync(session);
        }

        var append = new DecidedAppend<TState>(session, streamId, version, events, writer);
        await GroupCommit.For(store).RunAsync(append);
        return await append.Done;
    }

    private static void Stamp(IDocumentSession session, WriteContext context)
    {
        session.CorrelationId = context.CorrelationId;
        session.CausationId = context.CausationId;
        session.LastModifiedBy = context.Actor;
        if (context.ActorRole is { } role)
        {
            session.SetHeader(WriteContext.ActorRoleHeader, role);
        }
    }

    /// <summary>A command that reads nothing beside its stream.</summary>
    private static StreamCommand<TCommand, TState, NoReads> OnStateAlone<TCommand, TState>(
        Decider<TCommand, TState> decider, Guid streamId, Func<TState?, Rejection?>? authorize, WriteContext context, long? expectedVersion)
        where TState : class =>
        new(decider, streamId, reads: null, authorize is null ? null : (state, _) => authorize(state), context, actorRole: null, expectedVersion);

    /// <summary>No keyed reads beside the stream.</summary>
    private readonly record struct NoReads;
}

/// <summary>
/// One command on one stream as the write path runs it, whatever session it runs in: what it reads, how the caller is
/// authorized and the expected version checked, and the decider's verdict on the command built from what was read.
/// </summary>
internal sealed class StreamCommand<TCommand, TState, TReads>(
    Decider<TCommand, TState> decider, Guid streamId, StreamReads<TReads>? reads, Func<TState?, TReads, Rejection?>? authorize,
    WriteContext context, Func<TReads, string?>? actorRole, long? expectedVersion)
    where TState : class
{
    public Guid StreamId => streamId;

    public long? ExpectedVersion => expectedVersion;

    /// <summary>The stream's version and state, and the command's keyed reads after them, enlisted in a batch.</summary>
    public (Task<IEventStream<TState>> Stream, Task<TReads> Reads) Enlist(IBatchedQuery batch) =>
        (batch.Events.FetchForWriting<TState>(streamId), reads is null ? Task.FromResult<TReads>(default!) : reads(batch));

    /// <summary>The same in one round trip of the session's own.</summary>
    public async Task<(IEventStream<TState> Stream, TReads Reads)> ReadAsync(IDocumentSession session, CancellationToken ct)
    {
        if (reads is null)
        {
            return (await session.Events.FetchForWriting<TState>(streamId, ct), default!);
        }

        var batch = session.CreateBatchQuery();
        var (stream, read) = Enlist(batch);
        await batch.Execute(ct);
        return (await stream, await read);
    }

    public WriteContext WriterFor(TReads read) => actorRole is null ? context : context with { ActorRole = actorRole(read) };

    /// <summary>Before the command is built: the caller's authorization, then the expected version. Null: go on.</summary>
    public StreamDecision<TState>? Check(TState? state, long current, TReads read)
    {
        if (authorize?.Invoke(state, read) is { } refused)
        {
            return new(DecisionStatus.Rejected, state, current, [], refused);
        }

        return expectedVersion is { } expected && expected != current ? new(DecisionStatus.PreconditionFailed, state, current, []) : null;
    }

    /// <summary>The decider's verdict on the command built (null: nothing to ask): what to append and the state after it, or the answer.</summary>
    public StreamDecision<TState> Judge(TCommand? next, TState? state, long current)
    {
        if (next is null)
        {
            return new(DecisionStatus.Unchanged, state, current, []);
        }

        var decision = decider.Decide(next, state);
        if (decision.Rejection is { } rejection)
        {
            return new(DecisionStatus.Rejected, state, current, [], rejection);
        }

        return decision.Events.Count == 0
            ? new(DecisionStatus.Unchanged, state, current, [])
            : new(DecisionStatus.Appended, decider.Fold(state, decision.Events), current + decision.Events.Count, decision.Events);
    }

    /// <summary>Checked, built and judged on what was read, with nothing that waits: the decision a group makes for the command.</summary>
    public StreamDecision<TState> Decide(IEventStream<TState> stream, TReads read, Func<TState?, TReads, TCommand?> build)
    {
        var state = stream.Aggregate;
        var current = stream.CurrentVersion ?? 0;
        return Check(state, current, read) ?? Judge(build(state, read), state, current);
    }
}
