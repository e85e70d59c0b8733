using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

/// <summary>The readiness receipt: what was verified, on which instance, when.</summary>
internal static class GetReadinessHandler
{
    public static async Task<Results<Ok<ReadinessReceipt>, ProblemHttpResult>> HandleAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await VisibleWorkspace.LoadAsync(orgId, workspaceId, http, session, Permission.ViewWorkspaces);
        if (denied is not null)
        {
            return denied;
        }

        var receipt = await session.LoadAsync<ReadinessReceipt>(workspaceId, http.RequestAborted);
        return receipt is null
            ? Problems.Problem(StatusCodes.Status404NotFound, "workspace.not_ready", "Not found", "The workspace has not been verified yet.")
            : TypedResults.Ok(receipt);
    }
}
