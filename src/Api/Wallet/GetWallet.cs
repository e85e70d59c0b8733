using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Wallet;

/// <summary>The balance, with the wallet stream's version as ETag (Owner, Admin, Support, Auditor).</summary>
internal static class GetWalletHandler
{
    public static async Task<Results<Ok<WalletResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, IOptions<WalletOptions> options)
    {
        var ct = http.RequestAborted;
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewBilling, ct);
        if (denied is not null)
        {
            return denied;
        }

        var walletId = WalletIds.For(orgId);
        var wallet = await session.LoadAsync<OrgWallet>(walletId, ct);
        var version = (await session.Events.FetchStreamStateAsync(walletId, ct))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(WalletResponse.From(orgId, wallet, version, options.Value.DefaultRatePerServiceMinute, options.Value.MinimumRuntimeMinutes));
    }
}
