using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Audit;

/// <summary>
/// Who reads a trail: members of the org with <see cref="Permission.ReadAudit"/> (a non-member gets 404, as everywhere),
/// and for the platform's own trail (org <see cref="Guid.Empty"/>: refused webhooks) the platform operators named in
/// <c>Audit:Operators</c>. Operators also run rebuilds.
/// </summary>
internal static class AuditAccess
{
    public static async Task<ProblemHttpResult?> CheckAsync(HttpContext http, IQuerySession session, Guid orgId, Permission permission = Permission.ReadAudit)
    {
        if (orgId == Guid.Empty && IsOperator(http))
        {
            return null;
        }

        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), permission, http.RequestAborted);
        return denied;
    }

    public static bool IsOperator(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<AuditOptions>>().Value.Operators.Contains(http.User.Subject(), StringComparer.Ordinal);

    public static ProblemHttpResult NotOperator() =>
        Problems.Forbidden("Only platform operators (Audit:Operators) may do this.");
}
