using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

internal static class ListWorkspacesHandler
{
    public static async Task<Results<Ok<List<WorkspaceResponse>>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var list = await WorkspaceDirectory.ListAsync(session, orgId, http.RequestAborted);
        return TypedResults.Ok(list.Select(WorkspaceResponse.From).ToList());
    }
}
