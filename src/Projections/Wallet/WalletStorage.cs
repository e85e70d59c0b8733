using EnvForge.Domain.Wallet;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Wallet;

public static class WalletStorage
{
    /// <summary>
    /// The wallet snapshot, the top-up history and the Stripe event records (inline: decisions, the balance answer and the
    /// once-only rule read their own writes), and the usage receipts (asynchronous, off the metering path).
    /// </summary>
    public static StoreOptions AddWallet(this StoreOptions options)
    {
        options.Projections.Add(new WalletProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new TopUpHistoryProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new StripeEventRecordProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new UsageReceiptProjection(), ProjectionLifecycle.Async);
        options.Schema.For<OrgWallet>().Index(w => w.OrgId);
        options.Schema.For<TopUpRecord>().Index(t => t.OrgId).Index(t => t.PaymentIntentId!);
        options.Schema.For<UsageReceipt>().DocumentAlias("usagereceipt_v2").Index(r => r.OrgId).Index(r => r.WorkspaceId);
        options.Schema.For<StripeEventRecord>().Index(r => r.OrgId!);
        return options;
    }
}
