using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

/// <summary>The workspace a request names, if the caller's role in its org allows; one of another org answers exactly like a missing one.</summary>
internal static class VisibleWorkspace
{
    public static async Task<(Workspace? Workspace, ProblemHttpResult? Denied)> LoadAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, Permission permission)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), permission, http.RequestAborted);
        if (denied is not null)
        {
            return (null, denied);
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, http.RequestAborted);
        return workspace is null || workspace.OrgId != orgId ? (null, Problems.NotFound("workspace")) : (workspace, null);
    }
}
