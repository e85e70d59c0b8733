using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

internal static class ListMyOrganizationsHandler
{
    public static async Task<Ok<List<MembershipResponse>>> HandleAsync(HttpContext http, IQuerySession session)
    {
        var memberships = await MemberDirectory.MembershipsOfAsync(session, http.User.Subject(), http.RequestAborted);
        return TypedResults.Ok(memberships.Select(m => new MembershipResponse(m.OrgId, m.Role)).ToList());
    }
}
