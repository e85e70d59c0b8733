using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Wallet;

/// <summary>The org's top-ups with their state, newest first (Owner, Admin, Support, Auditor).</summary>
internal static class ListTopUpsHandler
{
    public static async Task<Results<Ok<TopUpPage>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session, string? cursor, int? limit)
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

        return TypedResults.Ok(TopUpPage.From(await TopUpHistory.QueryAsync(session, orgId, before, take, http.RequestAborted)));
    }
}

/// <summary>One top-up: its payment, credit, refunds and disputes.</summary>
internal static class GetTopUpHandler
{
    public static async Task<Results<Ok<TopUpRecord>, ProblemHttpResult>> HandleAsync(Guid orgId, Guid topUpId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewBilling, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var topUp = await session.LoadAsync<TopUpRecord>(topUpId, http.RequestAborted);
        return topUp is null || topUp.OrgId != orgId ? Problems.NotFound("top_up") : TypedResults.Ok(topUp);
    }
}
