using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Wallet;

/// <summary>Usage receipts, one per awake period, newest first; per workspace and by the period's start (Owner, Admin, Support, Auditor).</summary>
internal static class ListUsageReceiptsHandler
{
    public static async Task<Results<Ok<UsagePage>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, Guid? workspaceId, DateTimeOffset? from, DateTimeOffset? to, string? cursor, int? limit)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewBilling, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(cursor, limit, errors, out long before, out var take))
        {
            return Problems.Validation(errors);
        }

        var page = await UsageReceipts.QueryAsync(session, orgId, new UsageFilter(workspaceId, from, to), before, take, http.RequestAborted);
        return TypedResults.Ok(new UsagePage(page.Items, page.NextCursor));
    }
}
