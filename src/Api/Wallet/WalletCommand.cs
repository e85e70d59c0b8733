using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Wallet;

/// <summary>
/// A wallet command from the API: the caller's permission in the org (one keyed member load; a non-member gets 404), then
/// the one command path on the org's wallet stream (If-Match, conflicts decided again, ETag).
/// </summary>
internal static class WalletCommand
{
    public static async Task<CommandResult<OrgWallet>> ExecuteAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, Permission permission, Func<OrgWallet?, IWalletCommand> command,
        Func<OrgWallet, CancellationToken, Task<ProblemHttpResult?>>? beforeAppend = null)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), permission, http.RequestAborted);
        return denied is not null
            ? CommandResult<OrgWallet>.Refused(denied)
            : await commands.ExecuteAsync(http, WalletDecider.Decider, WalletIds.For(orgId), command, beforeAppend: beforeAppend);
    }
}
