using EnvForge.Domain.Common;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// Puts money in an org's wallet the way the wallet itself would (the decider's own events: opened, payment method set,
/// top-up requested, credited), for tests about something else than paying. Tests about paying go through Stripe's stand-in.
/// </summary>
public static class WalletSeed
{
    public const string Customer = "cus_TestCustomer01";
    public const string PaymentMethod = "pm_TestCard4242";

    /// <summary>Opens the wallet (if needed) and credits <paramref name="amount"/> minor units as a paid top-up.</summary>
    public static async Task<Guid> FundAsync(IDocumentStore store, Guid orgId, long amount = 100_000, string currency = "EUR")
    {
        var now = DateTimeOffset.UtcNow;
        var topUpId = Guid.CreateVersion7(now);
        IWalletCommand[] commands =
        [
            new OpenWallet(orgId, currency, "seed", now),
            new SetPaymentMethod(orgId, Customer, PaymentMethod, "seed", now),
            new RequestTopUp(orgId, topUpId, amount, currency, "seed", now),
            new StartTopUpPayment(orgId, topUpId, $"pi_seed{topUpId:N}", "succeeded", "seed", now),
            new CreditTopUp(orgId, topUpId, $"pi_seed{topUpId:N}", amount, currency, null, "seed", now),
        ];
        foreach (var command in commands)
        {
            var outcome = await StreamDecisions.DecideAsync(store, WalletDecider.Decider, WalletIds.For(orgId), _ => command, new WriteContext("seed"));
            Assert.True(outcome.Status is DecisionStatus.Appended or DecisionStatus.Unchanged, $"{command.GetType().Name}: {outcome.Status} {outcome.Rejection?.Code}");
        }

        return topUpId;
    }

    public static async Task<OrgWallet?> LoadAsync(IDocumentStore store, Guid orgId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<OrgWallet>(WalletIds.For(orgId));
    }

    public static async Task<long> VersionAsync(IDocumentStore store, Guid orgId)
    {
        await using var session = store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(WalletIds.For(orgId)))?.Version ?? 0;
    }

    public static async Task<IReadOnlyList<IDomainEvent>> EventsAsync(IDocumentStore store, Guid orgId)
    {
        await using var session = store.QuerySession();
        return [.. (await session.Events.FetchStreamAsync(WalletIds.For(orgId))).Select(e => (IDomainEvent)e.Data)];
    }
}
