using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

/// <summary>"The org's root policy at the moment grant G was approved", in one call.</summary>
internal static class GetPolicyAtApprovalHandler
{
    public static async Task<Results<Ok<PolicyAtApproval>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid grantId, HttpContext http, IQuerySession session)
    {
        if (await AuditAccess.CheckAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var (answer, notApproved) = await AuditTimeTravel.PolicyAtApprovalAsync(session, orgId, grantId, http.RequestAborted);
        return answer is not null ? TypedResults.Ok(answer)
            : notApproved ? Problems.Problem(StatusCodes.Status409Conflict, "audit.grant_not_approved", "Conflict", "This grant was never fully approved.")
            : Problems.NotFound("elevation");
    }
}
