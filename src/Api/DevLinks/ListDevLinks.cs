using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

/// <summary>The org's dev links, newest first, optionally for one workspace (never tokens).</summary>
internal static class ListDevLinksHandler
{
    public static async Task<Results<Ok<DevLinkPage>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, IOptions<GatewayOptions> gateway, TimeProvider time, Guid? workspaceId, string? cursor, int? limit)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(cursor, limit, errors, out Guid? before, out var take))
        {
            return Problems.Validation(errors);
        }

        var page = await DevLinkList.QueryAsync(session, orgId, workspaceId, before, take, http.RequestAborted);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new DevLinkPage([.. page.Items.Select(l => DevLinkResponse.From(l, now, gateway.Value))], page.NextCursor));
    }
}
