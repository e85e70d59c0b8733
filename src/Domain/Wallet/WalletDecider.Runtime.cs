using EnvForge.Domain.Common;

namespace EnvForge.Domain.Wallet;

/// <summary>The runtime meter's decisions: awake time is paid ahead in blocks, and what was not used is returned.</summary>
public static partial class WalletDecider
{
    /// <summary>
    /// Grants up to the minutes asked that the balance covers (whole minutes at the period's per-minute price); none is a
    /// refusal, and the runtime workflow puts the workspace to sleep. A block already bought (a retried activity) decides
    /// nothing. The price is fixed when the period starts: a rate change applies from the next awake period.
    /// </summary>
    private static Decision BuyRuntime(BuyRuntime c, OrgWallet state)
    {
        if (c.Minutes is < 1 or > MaxBlockMinutes || c.Services.Count == 0 || c.From < c.PeriodStart)
        {
            return WalletRejections.InvalidUsage;
        }

        var meter = state.Meters.GetValueOrDefault(c.WorkspaceId);
        if (meter is not null && (meter.PeriodStart > c.PeriodStart || (meter.PeriodStart == c.PeriodStart && c.From < meter.PaidUntil)))
        {
            return Decision.None; // bought already, or an earlier period's retry
        }

        var current = meter is not null && meter.PeriodStart == c.PeriodStart ? meter : null;
        var rate = current?.Rate ?? state.RatePerServiceMinute ?? c.DefaultRate;
        var services = current?.Services ?? c.Services;
        var perMinute = services.Count * rate;
        var minutes = perMinute == 0 ? c.Minutes : (int)Math.Min(c.Minutes, state.Balance / perMinute);
        if (minutes == 0)
        {
            return WalletRejections.InsufficientBalance;
        }

        var amount = minutes * perMinute;
        var debited = new UsageDebited(
            state.Id, state.OrgId, c.WorkspaceId, c.PeriodStart, c.From, c.From.AddMinutes(minutes), minutes, services, rate, amount, state.Balance - amount,
            c.Actor, c.Now);
        return Spent(state, debited, c, mayTopUpAutomatically: true);
    }

    /// <summary>Charges the started minutes of the period (never more than were paid) and returns the rest; a repeat decides nothing.</summary>
    private static Decision SettleRuntime(SettleRuntime c, OrgWallet state)
    {
        if (state.Meters.GetValueOrDefault(c.WorkspaceId) is not { } meter || meter.PeriodStart != c.PeriodStart)
        {
            return Decision.None;
        }

        var elapsed = Math.Max(0, (c.End - meter.PeriodStart).Ticks);
        var used = (int)Math.Min(meter.PaidMinutes, (elapsed + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute);
        var returned = (meter.PaidMinutes - used) * meter.PerMinute;
        return Decision.Accept(new UsageSettled(
            state.Id, state.OrgId, c.WorkspaceId, meter.PeriodStart, c.End, used, meter.PaidMinutes, meter.Paid - returned, returned, state.Balance + returned,
            c.Actor, c.Now));
    }
}

public static class WalletRejections
{
    public static readonly Rejection NotOpen = new("wallet.not_open", "The organization has no wallet yet; open one in a currency first.", RejectionKind.Conflict);

    public static readonly Rejection UnknownCurrency = new(
        "wallet.unknown_currency", "The currency is not an ISO 4217 code EnvForge accepts.", RejectionKind.Unprocessable);

    public static readonly Rejection InvalidAmount = new(
        "wallet.invalid_amount", $"Amounts are whole minor units from 1 to {WalletDecider.MaxTopUp}.", RejectionKind.Unprocessable);

    public static readonly Rejection BalanceLimit = new(
        "wallet.balance_limit", $"The balance would exceed {WalletDecider.MaxBalance} minor units.", RejectionKind.Unprocessable);

    public static readonly Rejection NoPaymentMethod = new(
        "wallet.no_payment_method", "Set the Stripe customer and payment method top-ups charge first.", RejectionKind.Conflict);

    public static readonly Rejection TopUpNotFound = new("wallet.top_up_not_found", "The wallet has no such top-up.", RejectionKind.NotFound);

    public static readonly Rejection TopUpExists = new("wallet.top_up_exists", "A different top-up with this id exists.", RejectionKind.Conflict);

    public static readonly Rejection TopUpNotCredited = new(
        "wallet.top_up_not_credited", "Only a top-up that was paid and credited can be refunded.", RejectionKind.Conflict);

    public static readonly Rejection RefundExists = new("wallet.refund_exists", "A different refund with this id exists.", RejectionKind.Conflict);

    public static readonly Rejection RefundNotFound = new("wallet.refund_not_found", "The wallet has no such refund.", RejectionKind.NotFound);

    public static readonly Rejection PaymentMismatch = new(
        "wallet.payment_mismatch", "The payment does not match the top-up (payment, currency or amount).", RejectionKind.Unprocessable);

    public static readonly Rejection InsufficientBalance = new(
        "wallet.insufficient_balance", "The wallet's balance cannot pay for this.", RejectionKind.PaymentRequired);

    public static readonly Rejection InvalidUsage = new(
        "wallet.invalid_usage", $"Usage is bought for 1 to {WalletDecider.MaxBlockMinutes} minutes of at least one service, from the period's start on.",
        RejectionKind.Unprocessable);

    public static readonly Rejection InvalidRate = new(
        "wallet.invalid_rate", $"The rate is whole minor units per service-minute, from 0 to {WalletDecider.MaxRate}.", RejectionKind.Unprocessable);

    public static readonly Rejection InvalidAutoTopUp = new(
        "wallet.invalid_auto_top_up",
        $"Automatic top-up: a threshold from 0 to {WalletDecider.MaxBalance}, an amount from 1 to {WalletDecider.MaxTopUp}, 1 to {WalletDecider.MaxAutoTopUpsPerDay} a day.",
        RejectionKind.Unprocessable);

    public static Rejection CurrencyMismatch(string currency) =>
        new("wallet.currency_mismatch", $"The wallet holds {currency}; every amount in it is in {currency}.", RejectionKind.Unprocessable);

    public static Rejection RefundExceedsTopUp(long refundable) =>
        new("wallet.refund_exceeds_top_up", $"At most {refundable} of this top-up can still be refunded.", RejectionKind.Unprocessable);

    public static Rejection RefundExceedsBalance(long balance) =>
        new("wallet.refund_exceeds_balance", $"Only the unspent balance ({balance}) can be refunded.", RejectionKind.Unprocessable);
}
