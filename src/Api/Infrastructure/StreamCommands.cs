using EnvForge.Domain.Common;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure;

/// <summary>What a command did to its stream, for the handler to answer from; or the problem to answer with.</summary>
public sealed class CommandResult<TState>
    where TState : class
{
    private CommandResult(TState? state, long version, IReadOnlyList<IDomainEvent> events, ProblemHttpResult? problem)
    {
        State = state!;
        Version = version;
        Events = events;
        Problem = problem;
    }

    /// <summary>The stream's state after the command. Only meaningful when <see cref="Problem"/> is null.</summary>
    public TState State { get; }

    public long Version { get; }

    /// <summary>What was appended: empty for a repeated command that changed nothing.</summary>
    public IReadOnlyList<IDomainEvent> Events { get; }

    public bool Changed => Events.Count > 0;

    /// <summary>Null when the command was accepted (changed something, or was a repeat of one that did).</summary>
    public ProblemHttpResult? Problem { get; }

    internal static CommandResult<TState> Accepted(TState state, long version, IReadOnlyList<IDomainEvent> events) => new(state, version, events, null);

    internal static CommandResult<TState> Refused(ProblemHttpResult problem) => new(null, 0, [], problem);
}

/// <summary>
/// The API's one command path, for every capability: read <c>If-Match</c> (an expected version; a stale one is 412),
/// load the stream's state, build the command from it, decide with the capability's <see cref="Decider{TCommand,TState}"/>,
/// append at the version read, and answer with the stream's version as the <c>ETag</c>. A stream is started the same
/// way. When another writer appends first, the command is decided again on what is there now (a few times, then 409).
/// A refusal is the decider's rejection as ProblemDetails; nothing is appended.
/// </summary>
public sealed class StreamCommands(IDocumentStore store)
{
    internal IDocumentStore Store => store;

    /// <param name="authorize">Checked on the loaded state first (before If-Match): a caller who may not see the stream learns nothing of it.</param>
    /// <param name="beforeAppend">
    /// Runs after the decision and before its append (to start the stream's workflow first); a problem it answers is the
    /// answer, with nothing appended (say, 503 while no Temporal server can be had).
    /// </param>
    public Task<CommandResult<TState>> ExecuteAsync<TCommand, TState>(
        HttpContext http, Decider<TCommand, TState> decider, Guid streamId, CommandFor<TCommand, TState> command,
        Func<TState?, Rejection?>? authorize = null, Func<TState, CancellationToken, Task<ProblemHttpResult?>>? beforeAppend = null)
        where TState : class =>
        RunAsync(http, beforeAppend, readRole: true, (expected, proceed, context) => StreamDecisions.DecideAsync(
            store, decider, streamId, command, context, expected, authorize, proceed, ct: http.RequestAborted));

    /// <summary>
    /// The same path with documents read by key beside the stream, in the round trip that reads it (<paramref name="reads"/>):
    /// the authorization and the command see them with the state.
    /// </summary>
    /// <param name="actorRole">The caller's role in the org, from what was read; when null, it is read by key on its own.</param>
    public Task<CommandResult<TState>> ExecuteAsync<TCommand, TState, TReads>(
        HttpContext http, Decider<TCommand, TState> decider, Guid streamId, StreamReads<TReads> reads, Func<TState?, TReads, TCommand?> command,
        Func<TState?, TReads, Rejection?>? authorize = null, Func<TState, CancellationToken, Task<ProblemHttpResult?>>? beforeAppend = null,
        Func<TReads, string?>? actorRole = null)
        where TState : class =>
        RunAsync(http, beforeAppend, readRole: actorRole is null, (expected, proceed, context) => StreamDecisions.DecideAsync(
            store, decider, streamId, reads, command, context, expected, authorize, proceed, actorRole: actorRole, ct: http.RequestAborted));

    private async Task<CommandResult<TState>> RunAsync<TState>(
        HttpContext http, Func<TState, CancellationToken, Task<ProblemHttpResult?>>? beforeAppend, bool readRole,
        Func<long?, Func<TState, CancellationToken, Task<bool>>?, WriteContext, Task<StreamDecision<TState>>> decide)
        where TState : class
    {
        if (!ETags.TryReadIfMatch(http.Request, out var expected, out var badIfMatch))
        {
            return CommandResult<TState>.Refused(badIfMatch!);
        }

        ProblemHttpResult? stopped = null;
        Func<TState, CancellationToken, Task<bool>>? proceed = beforeAppend is null ? null : async (state, ct) =>
        {
            stopped = await beforeAppend(state, ct);
            return stopped is null;
        };
        var context = readRole ? ContextOf(http) with { ActorRole = await ActorRoleAsync(http) } : ContextOf(http);
        var outcome = await decide(expected, proceed, context);
        switch (outcome.Status)
        {
            case DecisionStatus.Abandoned:
                return CommandResult<TState>.Refused(stopped!);
            case DecisionStatus.PreconditionFailed:
                return CommandResult<TState>.Refused(Problems.PreconditionFailed(outcome.Version));
            case DecisionStatus.Conflict:
                return CommandResult<TState>.Refused(Problems.Concurrency());
            case DecisionStatus.Rejected:
                return CommandResult<TState>.Refused(Problems.From(outcome.Rejection!));
            case DecisionStatus.Unchanged when outcome.State is null:
                return CommandResult<TState>.Refused(Problems.NotFound());
            default:
                ETags.Set(http.Response, outcome.Version);
                return CommandResult<TState>.Accepted(outcome.State!, outcome.Version, outcome.Events);
        }
    }

    /// <summary>The same path with a command that needs nothing but the state.</summary>
    public Task<CommandResult<TState>> ExecuteAsync<TCommand, TState>(
        HttpContext http, Decider<TCommand, TState> decider, Guid streamId, Func<TState?, TCommand> command,
        Func<TState?, Rejection?>? authorize = null, Func<TState, CancellationToken, Task<ProblemHttpResult?>>? beforeAppend = null)
        where TState : class =>
        RunAsync(http, beforeAppend, readRole: true, (expected, proceed, context) => StreamDecisions.DecideAsync(
            store, decider, streamId, state => (TCommand?)command(state), context, expected, authorize, proceed, ct: http.RequestAborted));

    /// <summary>A <c>beforeAppend</c> step for workflow-backed commands: 503 while workflows cannot run, so nothing is recorded that no workflow would act on.</summary>
    public static Task<ProblemHttpResult?> RequireWorkflows(string? unavailableReason) =>
        Task.FromResult(unavailableReason is { } reason ? Problems.WorkflowsUnavailable(reason) : null);

    /// <summary>For writes that are not an API command (the gateway recording a link's first use): no If-Match, no ETag.</summary>
    public Task<StreamDecision<TState>> DecideAsync<TCommand, TState>(
        Decider<TCommand, TState> decider, Guid streamId, Func<TState?, TCommand?> command, WriteContext context, CancellationToken ct)
        where TState : class =>
        StreamDecisions.DecideAsync(store, decider, streamId, command, context, ct: ct);

    /// <summary>The request's caller and trace id, stamped on every event it appends.</summary>
    public static WriteContext ContextOf(HttpContext http) =>
        new(http.User.FindFirst("sub")?.Value ?? "anonymous", http.TraceIdentifier);

    /// <summary>The role the caller acts in, in the org the route names (one keyed load of the member directory), for the audit trail.</summary>
    private async Task<string?> ActorRoleAsync(HttpContext http)
    {
        if (!Guid.TryParse(http.GetRouteValue("orgId")?.ToString(), out var orgId) || http.User.FindFirst("sub")?.Value is not { } subject)
        {
            return null;
        }

        await using var session = store.QuerySession();
        return (await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, subject), http.RequestAborted))?.Role.ToString();
    }
}
