using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// The spend stop before cost: provisioning and wake go on only when the org's wallet pays the minimum runtime
/// (<see cref="WalletOptions.MinimumRuntimeMinutes"/> of one service at the org's rate). One keyed load of the wallet snapshot.
/// </summary>
public sealed class WalletRuntimeBudget(IDocumentStore store, IOptions<WalletOptions> options) : IRuntimeBudget
{
    public async Task<bool> CanAffordMinimumRuntimeAsync(Guid orgId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var wallet = await session.LoadAsync<OrgWallet>(WalletIds.For(orgId), ct);
        if (wallet is null)
        {
            return false;
        }

        var rate = wallet.RatePerServiceMinute ?? options.Value.DefaultRatePerServiceMinute;
        return wallet.Balance >= rate * options.Value.MinimumRuntimeMinutes && (rate == 0 || wallet.Balance >= rate);
    }
}
