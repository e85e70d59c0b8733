using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Wallet;

/// <summary>The ledger with its running balance, newest first, keyset-paginated (Owner, Admin, Support, Auditor).</summary>
internal static class GetLedgerHandler
{
    public static async Task<Results<Ok<LedgerPage>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session, string? cursor, int? limit)
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

        var page = await WalletLedger.QueryAsync(session, WalletIds.For(orgId), before, take, http.RequestAborted);
        return TypedResults.Ok(new LedgerPage(page.Items, page.NextCursor));
    }
}
