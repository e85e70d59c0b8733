using System.Collections.Concurrent;
using Temporalio.Common;
using Temporalio.Worker;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace EnvForge.Tests.Infrastructure.Temporal;

/// <summary>What replaying one history showed: the replay failure (nondeterminism), and what the workflow code returned.</summary>
/// <param name="Failure">Null when every command the workflow issued matched the history.</param>
/// <param name="Returned">Whether the workflow's run method returned (rather than threw or never got that far).</param>
/// <param name="Result">The value it returned, as an object of the run method's return type.</param>
public sealed record ReplayOutcome(Exception? Failure, bool Returned, object? Result);

/// <summary>
/// Replays histories through <see cref="WorkflowReplayer"/>. The replayer checks the workflow's commands against the
/// history, but not the value the workflow returns (the completion command's payload is not compared with the completed
/// event's); so an interceptor captures that value for the test to assert on.
/// </summary>
public static class Replay
{
    public static async Task<ReplayOutcome> RunAsync<TWorkflow>(WorkflowHistory history)
    {
        var results = new ReturnedValues();
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions { Interceptors = [results] }.AddWorkflow<TWorkflow>());
        var replay = await replayer.ReplayWorkflowAsync(history, throwOnReplayFailure: false);
        var returned = results.TryGet(history.Id, out var result);
        return new ReplayOutcome(replay.ReplayFailure, returned, result);
    }

    private sealed class ReturnedValues : IWorkerInterceptor
    {
        private readonly ConcurrentDictionary<string, object?> _byWorkflowId = new();

        public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) => new Inbound(nextInterceptor, _byWorkflowId);

        public bool TryGet(string workflowId, out object? result) => _byWorkflowId.TryGetValue(workflowId, out result);

        private sealed class Inbound(WorkflowInboundInterceptor next, ConcurrentDictionary<string, object?> byWorkflowId) : WorkflowInboundInterceptor(next)
        {
            // Runs inside the workflow: awaits on the workflow's own scheduler (no ConfigureAwait(false)).
            public override async Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
            {
                var result = await base.ExecuteWorkflowAsync(input);
                byWorkflowId[Workflow.Info.WorkflowId] = result;
                return result;
            }
        }
    }
}
