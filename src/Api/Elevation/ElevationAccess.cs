using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

internal static class ElevationAccess
{
    /// <summary>Grants are read by those who see workspaces (support included) and by auditors.</summary>
    public static async Task<ProblemHttpResult?> CheckReadAsync(HttpContext http, IQuerySession session, Guid orgId)
    {
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewOrganization, http.RequestAborted);
        return denied ?? (role!.Value.Can(Permission.ViewWorkspaces) || role.Value.Can(Permission.ReadAudit)
            ? null
            : Problems.Forbidden($"Your role ({role}) can see neither workspaces nor the audit trail."));
    }
}
