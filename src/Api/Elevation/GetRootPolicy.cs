using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>The org's root policy, for its members; the ETag is the org stream's version.</summary>
internal static class GetRootPolicyHandler
{
    public static async Task<Results<Ok<RootPolicyResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var (org, _, denied) = await OrgAccess.LoadAsync(session, orgId, http.User.Subject(), Permission.ViewOrganization, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var version = (await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(RootPolicyResponse.From(org!.RootPolicy));
    }
}
