using EnvForge.Domain.Workspaces;
using Marten;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Infrastructure;

/// <summary>The activity side of load -> decide -> append with the expected version.</summary>
internal static class Streams
{
    /// <summary>The workspace, or a non-retryable failure when it does not exist.</summary>
    public static async Task<Workspace> LoadWorkspaceAsync(IDocumentStore store, Guid workspaceId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Workspace>(workspaceId, ct)
            ?? throw new ApplicationFailureException("the workspace does not exist", WorkspaceRejections.NotFound.Code, nonRetryable: true);
    }

    /// <summary>
    /// A domain refusal becomes a non-retryable failure; a version conflict is thrown as is and retried by Temporal,
    /// where the retry sees the other writer's events and usually decides there is nothing left to do.
    /// </summary>
    public static async Task DecideAsync(IDocumentStore store, Guid workspaceId, Func<Workspace, IWorkspaceCommand> command, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<Workspace>(workspaceId, ct);
        var state = stream.Aggregate
            ?? throw new ApplicationFailureException("the workspace does not exist", WorkspaceRejections.NotFound.Code, nonRetryable: true);
        var decision = WorkspaceDecider.Decide(command(state), state);
        if (decision.Rejection is { } rejection)
        {
            throw new ApplicationFailureException(rejection.Message, rejection.Code, nonRetryable: true);
        }

        if (decision.Events.Count > 0)
        {
            stream.AppendMany(decision.Events);
            await session.SaveChangesAsync(ct);
        }
    }
}
