using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

public sealed record SleepResponse(Guid WorkspaceId);

/// <summary>Puts the runtime to sleep now: a signal to its runtime workflow, which stops the services (and the meter).</summary>
internal static class SleepWorkspaceHandler
{
    public static async Task<Results<Accepted<SleepResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkspaceWorkflows workflows)
    {
        var (_, denied) = await VisibleWorkspace.LoadAsync(orgId, workspaceId, http, session, Permission.UseWorkspaces);
        if (denied is not null)
        {
            return denied;
        }

        if (workflows.UnavailableReason is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        await workflows.SleepAsync(workspaceId, http.User.Subject(), http.RequestAborted);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", new SleepResponse(workspaceId));
    }
}
