using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

/// <summary>One organization, for its members; the ETag is the stream's version.</summary>
internal static class GetOrganizationHandler
{
    public static async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var subject = http.User.Subject();
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        if (OrgAccess.Check(org, subject, Permission.ViewOrganization) is { } denied)
        {
            return denied;
        }

        var state = await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted);
        var version = state?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(OrganizationResponse.From(org!, subject, version));
    }
}
