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
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        if (OrgAccess.Check(org, http.User.Subject(), Permission.ViewOrganization) is { } denied)
        {
            return denied;
        }

        var version = (await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(RootPolicyResponse.From(org!.RootPolicy));
    }
}
