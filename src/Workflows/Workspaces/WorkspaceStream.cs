using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Workspaces;

/// <summary>The workspace activities' use of the one activity command path: the workspace a workflow works on must exist.</summary>
internal static class WorkspaceStream
{
    /// <summary>The workspace, or a non-retryable <c>workspace.not_found</c> failure.</summary>
    public static async Task<Workspace> LoadAsync(IDocumentStore store, Guid workspaceId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Workspace>(workspaceId, ct) ?? throw NotFound();
    }

    /// <summary>Decides again on the workspace as it is now and appends; a repeated step appends nothing.</summary>
    public static async Task DecideAsync(IDocumentStore store, Guid workspaceId, Func<Workspace, IWorkspaceCommand> command, string actor)
    {
        var outcome = await ActivityStreams.DecideAsync(store, WorkspaceDecider.Decider, workspaceId, w => w is null ? null : command(w), actor);
        if (outcome.State is null)
        {
            throw NotFound();
        }
    }

    private static ApplicationFailureException NotFound() =>
        new("the workspace does not exist", WorkspaceRejections.NotFound.Code, nonRetryable: true);
}
