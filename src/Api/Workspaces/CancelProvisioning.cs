using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

/// <summary>Cancels provisioning: a signal to the provisioning workflow, which stops the step in flight, records it and destroys what it made.</summary>
internal static class CancelProvisioningHandler
{
    public static async Task<Results<Accepted<WorkspaceResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkspaceWorkflows workflows)
    {
        var (workspace, denied) = await VisibleWorkspace.LoadAsync(orgId, workspaceId, http, session, Permission.UseWorkspaces);
        if (denied is not null)
        {
            return denied;
        }

        if (workspace!.Status is not (WorkspaceStatus.Requested or WorkspaceStatus.Provisioning))
        {
            return Problems.From(WorkspaceRejections.WrongState(workspace.Status, "cancel provisioning"));
        }

        if (workflows.UnavailableReason is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        await workflows.CancelProvisioningAsync(workspaceId, http.User.Subject(), http.RequestAborted);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", WorkspaceResponse.From(workspace));
    }
}
