using EnvForge.Domain.Common;
using EnvForge.Projections.Infrastructure;

namespace EnvForge.Tests.Wallet;

/// <summary>The wallet's stored event names are a contract with auditors' history and the audit trail's action codes.</summary>
public sealed class WalletEventNameTests
{
    [Fact]
    public void Wallet_event_names_are_stable()
    {
        var names = EventStore.EventNames(typeof(IDomainEvent).Assembly).Select(n => n.Name).Where(n => n.StartsWith("wallet.", StringComparison.Ordinal)).Order();
        Assert.Equal(
            [
                "wallet.auto_top_up_changed.v1", "wallet.charge_refunded.v1", "wallet.credited.v1", "wallet.debited.v1", "wallet.disputed.v1",
                "wallet.opened.v1", "wallet.payment_method_set.v1", "wallet.rate_changed.v1", "wallet.refund_failed.v1", "wallet.refund_requested.v1",
                "wallet.refunded.v1", "wallet.threshold_crossed.v1", "wallet.top_up_failed.v1", "wallet.top_up_payment_started.v1",
                "wallet.top_up_requested.v1", "wallet.usage_settled.v1",
            ],
            names);
    }
}
