namespace EnvForge.Domain.Wallet;

/// <summary>A command on one org's Wallet stream: who and when on every one; lookups arrive as values.</summary>
public interface IWalletCommand
{
    Guid OrgId { get; }

    string Actor { get; }

    DateTimeOffset Now { get; }
}

/// <summary>Top up (Owner/Admin, or an automatic top-up): opens the wallet in <paramref name="Currency"/> on the first one.</summary>
public sealed record RequestTopUp(Guid OrgId, Guid TopUpId, long Amount, string Currency, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record StartTopUpPayment(Guid OrgId, Guid TopUpId, string PaymentIntentId, string Status, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>Stripe says the payment succeeded (a verified webhook, or the workflow asking Stripe at its deadline).</summary>
public sealed record CreditTopUp(
    Guid OrgId, Guid TopUpId, string PaymentIntentId, long Amount, string Currency, string? StripeEventId, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record FailTopUp(Guid OrgId, Guid TopUpId, string Reason, string? StripeEventId, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>An Owner asks for <paramref name="Amount"/> of a top-up back.</summary>
public sealed record RequestRefund(Guid OrgId, Guid RefundId, Guid TopUpId, long Amount, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record RecordRefundIssued(Guid OrgId, Guid RefundId, string StripeRefundId, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record RecordRefundFailed(Guid OrgId, Guid RefundId, string Reason, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <param name="TotalRefunded">Stripe's <c>amount_refunded</c> of the charge: everything refunded so far, EnvForge's own refunds included.</param>
public sealed record RecordChargeRefunded(Guid OrgId, Guid TopUpId, long TotalRefunded, string StripeEventId, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record RecordDispute(Guid OrgId, Guid TopUpId, string DisputeId, long Amount, string StripeEventId, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>
/// Pay ahead for up to <paramref name="Minutes"/> more minutes of a workspace's awake period, from <paramref name="From"/>
/// (the period's start, or where the last block ended). Grants what the balance covers, whole minutes; none is a refusal.
/// </summary>
/// <param name="DefaultRate">The configured rate per service-minute, for an org that has not set its own.</param>
public sealed record BuyRuntime(
    Guid OrgId, Guid WorkspaceId, DateTimeOffset PeriodStart, DateTimeOffset From, int Minutes, IReadOnlyList<string> Services, long DefaultRate,
    string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>The awake period ended at <paramref name="End"/>: charge the minutes used (started minutes), return the rest.</summary>
public sealed record SettleRuntime(Guid OrgId, Guid WorkspaceId, DateTimeOffset PeriodStart, DateTimeOffset End, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <param name="Settings">Null turns automatic top-ups off.</param>
public sealed record SetAutoTopUp(Guid OrgId, AutoTopUpSettings? Settings, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record SetRuntimeRate(Guid OrgId, long RatePerServiceMinute, string Actor, DateTimeOffset Now) : IWalletCommand;

public sealed record SetPaymentMethod(Guid OrgId, string CustomerId, string PaymentMethodId, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>Opens the org's wallet in one currency (Owner/Admin); opening it again in the same currency changes nothing.</summary>
public sealed record OpenWallet(Guid OrgId, string Currency, string Actor, DateTimeOffset Now) : IWalletCommand;

/// <summary>
/// Commands decided one after another on the state each leaves, and appended together: the in-process queue's batch.
/// A refused command adds nothing; the others still apply. <see cref="WalletDecider.DecideEach"/> tells each one's outcome.
/// </summary>
public sealed record WalletBatch(Guid OrgId, IReadOnlyList<IWalletCommand> Commands, string Actor, DateTimeOffset Now) : IWalletCommand;
