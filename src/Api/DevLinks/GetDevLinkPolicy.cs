using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.DevLinks;

/// <summary>The org's dev-link expiry default and maximum, for its members.</summary>
internal static class GetDevLinkPolicyHandler
{
    public static async Task<Results<Ok<DevLinkPolicyResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var (org, _, denied) = await OrgAccess.LoadAsync(session, orgId, http.User.Subject(), Permission.ViewOrganization, http.RequestAborted);
        return denied is not null ? denied : TypedResults.Ok(DevLinkPolicyResponse.From(org!.DevLinkPolicy));
    }
}
