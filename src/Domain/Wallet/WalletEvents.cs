using EnvForge.Domain.Common;

namespace EnvForge.Domain.Wallet;

/// <summary>
/// The events of one org's Wallet stream. Amounts are integers in the wallet currency's minor units; every event that
/// moves money carries the balance after it, so the stream itself is the ledger with its running balance. Events a Stripe
/// webhook caused carry that Stripe event id (recorded once, in the same transaction). No key or card detail is ever here.
/// </summary>
public interface IWalletEvent : IDomainEvent
{
    Guid WalletId { get; }
}

/// <summary>A wallet event that changed the balance.</summary>
public interface IBalanceChange : IWalletEvent
{
    /// <summary>Signed: positive adds to the balance, negative takes from it.</summary>
    long Delta { get; }

    long BalanceAfter { get; }
}

/// <summary>A wallet event a verified Stripe webhook caused; its id is recorded with it so a redelivery applies nothing.</summary>
public interface IFromStripeEvent : IWalletEvent
{
    string? StripeEventId { get; }
}

[EventName("wallet.opened.v1")]
public sealed record WalletOpened(Guid WalletId, Guid OrgId, string Currency, string Actor, DateTimeOffset At) : IWalletEvent
{
    public string Describe() => $"opened the wallet in {Currency}";
}

[EventName("wallet.top_up_requested.v1")]
public sealed record TopUpRequested(Guid WalletId, Guid OrgId, Guid TopUpId, long Amount, string Currency, bool Automatic, string Actor, DateTimeOffset At)
    : IWalletEvent
{
    public string Describe() => $"{(Automatic ? "automatic top-up" : "top-up")} of {Amount} {Currency} requested ({TopUpId})";
}

/// <summary>The PaymentIntent exists at Stripe (created with the top-up's idempotency key); its id and first status.</summary>
[EventName("wallet.top_up_payment_started.v1")]
public sealed record TopUpPaymentStarted(Guid WalletId, Guid OrgId, Guid TopUpId, string PaymentIntentId, string Status, string Actor, DateTimeOffset At)
    : IWalletEvent
{
    public string Describe() => $"payment {PaymentIntentId} started for top-up {TopUpId} ({Status})";
}

[EventName("wallet.credited.v1")]
public sealed record WalletCredited(
    Guid WalletId, Guid OrgId, Guid TopUpId, string PaymentIntentId, long Amount, long BalanceAfter, string? StripeEventId, string Actor, DateTimeOffset At)
    : IBalanceChange, IFromStripeEvent
{
    public long Delta => Amount;

    public string Describe() => $"credited {Amount} from top-up {TopUpId} (payment {PaymentIntentId}); balance {BalanceAfter}";
}

[EventName("wallet.top_up_failed.v1")]
public sealed record TopUpFailed(Guid WalletId, Guid OrgId, Guid TopUpId, string Reason, string? StripeEventId, string Actor, DateTimeOffset At)
    : IFromStripeEvent
{
    public string Describe() => $"top-up {TopUpId} failed: {Reason}";
}

/// <summary>An Owner asked for money back: the amount leaves the balance at once (so it cannot be spent meanwhile).</summary>
[EventName("wallet.refund_requested.v1")]
public sealed record RefundRequested(Guid WalletId, Guid OrgId, Guid RefundId, Guid TopUpId, long Amount, long BalanceAfter, string Actor, DateTimeOffset At)
    : IBalanceChange
{
    public long Delta => -Amount;

    public string Describe() => $"refund {RefundId} of {Amount} from top-up {TopUpId} requested; balance {BalanceAfter}";
}

[EventName("wallet.refunded.v1")]
public sealed record RefundIssued(Guid WalletId, Guid OrgId, Guid RefundId, Guid TopUpId, string StripeRefundId, long Amount, string Actor, DateTimeOffset At)
    : IWalletEvent
{
    public string Describe() => $"refund {RefundId} of {Amount} issued by Stripe ({StripeRefundId})";
}

/// <summary>Stripe refused the refund: the amount returns to the balance.</summary>
[EventName("wallet.refund_failed.v1")]
public sealed record RefundFailed(Guid WalletId, Guid OrgId, Guid RefundId, Guid TopUpId, long Amount, string Reason, long BalanceAfter, string Actor, DateTimeOffset At)
    : IBalanceChange
{
    public long Delta => Amount;

    public string Describe() => $"refund {RefundId} failed ({Reason}); {Amount} returned, balance {BalanceAfter}";
}

/// <summary>
/// Stripe reports money returned that EnvForge did not ask for (a refund made in Stripe's dashboard): debited. What the
/// balance could not cover is <see cref="Uncovered"/> (the balance never goes negative).
/// </summary>
[EventName("wallet.charge_refunded.v1")]
public sealed record ChargeRefunded(
    Guid WalletId, Guid OrgId, Guid TopUpId, string PaymentIntentId, long Refunded, long Debited, long Uncovered, long BalanceAfter, string? StripeEventId,
    string Actor, DateTimeOffset At) : IBalanceChange, IFromStripeEvent
{
    public long Delta => -Debited;

    public string Describe() => $"Stripe refunded {Refunded} of top-up {TopUpId}; debited {Debited}" + (Uncovered > 0 ? $", {Uncovered} uncovered" : "") + $"; balance {BalanceAfter}";
}

[EventName("wallet.disputed.v1")]
public sealed record WalletDisputed(
    Guid WalletId, Guid OrgId, Guid TopUpId, string DisputeId, long Amount, long Debited, long Uncovered, long BalanceAfter, string? StripeEventId,
    string Actor, DateTimeOffset At) : IBalanceChange, IFromStripeEvent
{
    public long Delta => -Debited;

    public string Describe() => $"dispute {DisputeId} of {Amount} on top-up {TopUpId}; debited {Debited}" + (Uncovered > 0 ? $", {Uncovered} uncovered" : "") + $"; balance {BalanceAfter}";
}

/// <summary>
/// Runtime paid ahead: <see cref="Minutes"/> minutes of a workspace's awake period, from <see cref="From"/> until
/// <see cref="Until"/>, for each of its services at <see cref="Rate"/> per service-minute. The runtime workflow buys the
/// next block when this one ends; a wallet that cannot pay for one more minute puts the workspace to sleep.
/// </summary>
[EventName("wallet.debited.v1")]
public sealed record UsageDebited(
    Guid WalletId, Guid OrgId, Guid WorkspaceId, DateTimeOffset PeriodStart, DateTimeOffset From, DateTimeOffset Until, int Minutes,
    IReadOnlyList<string> Services, long Rate, long Amount, long BalanceAfter, string Actor, DateTimeOffset At) : IBalanceChange
{
    public long Delta => -Amount;

    public string Describe() =>
        $"debited {Amount} for {Minutes} min of workspace {WorkspaceId} ({Services.Count} services at {Rate}/service-min); balance {BalanceAfter}";
}

/// <summary>The awake period ended: minutes paid ahead but not used return to the balance.</summary>
[EventName("wallet.usage_settled.v1")]
public sealed record UsageSettled(
    Guid WalletId, Guid OrgId, Guid WorkspaceId, DateTimeOffset PeriodStart, DateTimeOffset End, int MinutesUsed, int MinutesPaid, long Charged, long Returned,
    long BalanceAfter, string Actor, DateTimeOffset At) : IBalanceChange
{
    public long Delta => Returned;

    public string Describe() => $"workspace {WorkspaceId} awake {MinutesUsed} min, charged {Charged}" + (Returned > 0 ? $", {Returned} returned" : "") + $"; balance {BalanceAfter}";
}

/// <summary>75, 90 or 100 percent of the last top-up is spent (the balance is at or below that share of it).</summary>
[EventName("wallet.threshold_crossed.v1")]
public sealed record LowBalanceThresholdCrossed(Guid WalletId, Guid OrgId, int PercentSpent, long Balance, long LastTopUp, string Actor, DateTimeOffset At)
    : IWalletEvent
{
    public string Describe() => $"{PercentSpent}% of the last top-up ({LastTopUp}) spent; balance {Balance}";
}

/// <summary>Null settings: automatic top-ups are off.</summary>
[EventName("wallet.auto_top_up_changed.v1")]
public sealed record AutoTopUpChanged(Guid WalletId, Guid OrgId, AutoTopUpSettings? Settings, string Actor, DateTimeOffset At) : IWalletEvent
{
    public string Describe() => Settings is { } s
        ? $"automatic top-up: when the balance falls under {s.Threshold}, top up {s.Amount}, at most {s.MaxPerDay} per day"
        : "automatic top-up turned off";
}

[EventName("wallet.rate_changed.v1")]
public sealed record RuntimeRateChanged(Guid WalletId, Guid OrgId, long RatePerServiceMinute, string Actor, DateTimeOffset At) : IWalletEvent
{
    public string Describe() => $"runtime rate set to {RatePerServiceMinute} per service-minute";
}

/// <summary>The Stripe customer and saved payment method top-ups charge (ids only, never card details).</summary>
[EventName("wallet.payment_method_set.v1")]
public sealed record PaymentMethodSet(Guid WalletId, Guid OrgId, string CustomerId, string PaymentMethodId, string Actor, DateTimeOffset At) : IWalletEvent
{
    public string Describe() => $"payment method {PaymentMethodId} of customer {CustomerId} set for top-ups";
}
