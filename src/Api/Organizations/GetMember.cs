using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

internal static class GetMemberHandler
{
    public static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, string userId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ReadMembers, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var member = await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, userId), http.RequestAborted);
        return member is null
            ? Problems.From(OrganizationRejections.UnknownMember(userId))
            : TypedResults.Ok(MemberResponse.From(member));
    }
}
