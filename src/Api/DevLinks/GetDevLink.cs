using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

/// <summary>One dev link (never its token).</summary>
internal static class GetDevLinkHandler
{
    public static async Task<Results<Ok<DevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var link = await session.LoadAsync<DevLink>(linkId, http.RequestAborted);
        return link is null || link.OrgId != orgId
            ? Problems.NotFound("dev_link")
            : TypedResults.Ok(DevLinkResponse.From(link, time.GetUtcNow(), gateway.Value));
    }
}
