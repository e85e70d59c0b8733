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
        var (org, role, denied) = await OrgAccess.LoadAsync(session, orgId, subject, Permission.ViewOrganization, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var state = await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted);
        var version = state?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(OrganizationResponse.From(org!, role!.Value, version));
    }
}
