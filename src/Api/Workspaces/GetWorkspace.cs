using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

internal static class GetWorkspaceHandler
{
    public static async Task<Results<Ok<WorkspaceResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session)
    {
        var (workspace, denied) = await VisibleWorkspace.LoadAsync(orgId, workspaceId, http, session, Permission.ViewWorkspaces);
        return denied is not null ? denied : TypedResults.Ok(WorkspaceResponse.From(workspace!));
    }
}
