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
/// until its first event). When another writer appends first, the version check fails and the command is decided again
/// on what is there now, in a fresh session, a bounded number of times; a caller that named the version it expects gets
/// <see cref="DecisionStatus.PreconditionFailed"/> at once. Nothing is acknowledged before the commit.
/// </summary>
public static class StreamDecisions
{
    public const int DefaultAttempts = 3;

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
        DecideCoreAsync<TCommand, TState, NoReads>(
            store, decider, streamId, reads: null, authorize is null ? null : (state, _) => authorize(state),
            (state, _, session, token) => command(state, session, token), context, actorRole: null, expectedVersion, beforeAppend, attempts, ct);

    /// <summary>The same path with a command that needs nothing but the state.</summary>
    public static Task<StreamDecision<TState>> DecideAsync<TCommand, TState>(
        IDocumentStore store, Decider<TCommand, TState> decider, Guid streamId, Func<TState?, TCommand?> command, WriteContext context,
        long? expectedVersion = null, Func<TState?, Rejection?>? authorize = null, Func<TState, CancellationToken, Task<bool>>? beforeAppend = null,
        int attempts = DefaultAttempts, CancellationToken ct = default)
        where TState : class =>
        DecideAsync(store, decider, streamId, (state, _, _) => ValueTask.FromResult(command(state)), context, expectedVersion, authorize, beforeAppend, attempts, ct);

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
        DecideCoreAsync<TCommand, TState, TReads>(
            store, decider, streamId, reads, authorize, (state, read, _, _) => ValueTask.FromResult(command(state, read)), context, actorRole,
            expectedVersion, beforeAppend, attempts, ct);

    private static async Task<StreamDecision<TState>> DecideCoreAsync<TCommand, TState, TReads>(
        IDocumentStore store,
        Decider<TCommand, TState> decider,
        Guid streamId,
        StreamReads<TReads>? reads,
        Func<TState?, TReads, Rejection?>? authorize,
        Func<TState?, TReads, IQuerySession, CancellationToken, ValueTask<TCommand?>> command,
        WriteContext context,
        Func<TReads, string?>? actorRole,
        long? expectedVersion,
        Func<TState, CancellationToken, Task<bool>>? beforeAppend,
        int attempts,
        CancellationToken ct)
        where TState : class
    {
        for (var attempt = 1; ; attempt++)
        {
            // A fresh session per attempt: one whose save lost the race still holds the events it could not append.
            await using var session = store.LightweightSession();
            var (stream, read) = await ReadAsync<TState, TReads>(session, streamId, reads, ct);
            var writer = actorRole is null ? context : context with { ActorRole = actorRole(read) };
            Stamp(session, writer);
            var state = stream.Aggregate;
            var current = stream.CurrentVersion ?? 0;
            if (authorize?.Invoke(state, read) is { } refused)
            {
                return new(DecisionStatus.Rejected, state, current, [], refused);
            }

            if (expectedVersion is { } expected && expected != current)
            {
                return new(DecisionStatus.PreconditionFailed, state, current, []);
            }

            if (await command(state, read, session, ct) is not { } next)
            {
                return new(DecisionStatus.Unchanged, state, current, []);
            }

            var decision = decider.Decide(next, state);
            if (decision.Rejection is { } rejection)
            {
                return new(DecisionStatus.Rejected, state, current, [], rejection);
            }

            if (decision.Events.Count == 0)
            {
                return new(DecisionStatus.Unchanged, state, current, []);
            }

            var after = decider.Fold(state, decision.Events)!;
            if (beforeAppend is not null && !await beforeAppend(after, ct))
            {
                return new(DecisionStatus.Abandoned, state, current, []);
            }

            // Committed with whatever else is being decided now (group commit), each at its own version; answered after the commit.
            stream.AppendMany(decision.Events);
            var appended = await GroupCommit.For(store).CommitAsync(new PendingAppend<TState>(session, streamId, current, decision.Events, writer));
            if (appended == AppendOutcome.Conflict)
            {
                if (expectedVersion is not null)
                {
                    return new(DecisionStatus.PreconditionFailed, state, current, []);
                }

                if (attempt >= attempts)
                {
                    return new(DecisionStatus.Conflict, state, current, []);
                }

                continue;
            }

            return new(DecisionStatus.Appended, after, current + decision.Events.Count, decision.Events);
        }
    }

    /// <summary>The stream's version and state, and the command's keyed reads after them, in one round trip.</summary>
    private static async Task<(IEventStream<TState> Stream, TReads Reads)> ReadAsync<TState, TReads>(
        IDocumentSession session, Guid streamId, StreamReads<TReads>? reads, CancellationToken ct)
        where TState : class
    {
        if (reads is null)
        {
            return (await session.Events.FetchForWriting<TState>(streamId, ct), default!);
        }

        var batch = session.CreateBatchQuery();
        var stream = batch.Events.FetchForWriting<TState>(streamId);
        var read = reads(batch);
        await batch.Execute(ct);
        return (await stream, await read);
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

    /// <summary>No keyed reads beside the stream.</summary>
    private readonly record struct NoReads;
}
