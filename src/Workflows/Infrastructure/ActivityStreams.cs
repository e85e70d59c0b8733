using EnvForge.Domain.Common;
using EnvForge.Projections.Infrastructure;
using Marten;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Infrastructure;

/// <summary>
/// The activities' one command path: load the stream, decide again on what is there now, append exactly once. A retried
/// activity appends nothing twice, because the decider answers "nothing to do" for a step already on the stream
/// (idempotency by stream and step). A refusal is a non-retryable <see cref="ApplicationFailureException"/> carrying the
/// rejection's code (unless the code is one a short retry fixes); losing the race for the stream repeatedly is a retryable
/// failure, so Temporal tries again. Each event's metadata names the workflow run (correlation) and the activity (causation).
/// </summary>
public static class ActivityStreams
{
    /// <summary>
    /// Decides <paramref name="command"/> against the stream's current state and appends what it decides. The command
    /// builder returns null when there is nothing to do. Returns what happened: the state after the command (null: no
    /// such stream), and whether this call appended.
    /// </summary>
    /// <param name="retryableCodes">Rejection codes that a retry may clear (for example "not yet due": timer and clock differ by a moment).</param>
    public static async Task<StreamDecision<TState>> DecideAsync<TCommand, TState>(
        IDocumentStore store, Decider<TCommand, TState> decider, Guid streamId, Func<TState?, TCommand?> command, string actor,
        params string[] retryableCodes)
        where TState : class
    {
        var outcome = await StreamDecisions.DecideAsync(store, decider, streamId, command, ContextOf(actor), ct: CancellationToken);
        return outcome.Status switch
        {
            DecisionStatus.Rejected => throw new ApplicationFailureException(
                outcome.Rejection!.Message, outcome.Rejection.Code, nonRetryable: !retryableCodes.Contains(outcome.Rejection.Code)),
            DecisionStatus.Conflict => throw new ApplicationFailureException(
                "other writers kept appending to the stream; retrying", "concurrency_conflict", nonRetryable: false),
            _ => outcome,
        };
    }

    /// <summary>The running activity's cancellation token (none outside an activity, as in tests that call an activity directly).</summary>
    public static CancellationToken CancellationToken =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;

    /// <summary>The running activity's attempt (1 outside an activity).</summary>
    public static int Attempt => ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.Info.Attempt : 1;

    private static WriteContext ContextOf(string actor)
    {
        if (!ActivityExecutionContext.HasCurrent)
        {
            return new WriteContext(actor);
        }

        var info = ActivityExecutionContext.Current.Info;
        return new WriteContext(actor, $"{info.WorkflowId}/{info.WorkflowRunId}", $"{info.ActivityType}#{info.ActivityId}");
    }
}
