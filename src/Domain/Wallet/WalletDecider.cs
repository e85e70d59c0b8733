using EnvForge.Domain.Common;

namespace EnvForge.Domain.Wallet;

/// <summary>
/// Decisions on an org's Wallet stream. The balance never goes negative: a debit that does not fit is refused, money
/// Stripe takes back beyond the balance is recorded as uncovered. Each Stripe fact applies once (a repeat decides nothing),
/// and every decision that lowers the balance announces the low-balance thresholds it crossed and, for usage, starts the
/// automatic top-up once per crossing.
/// </summary>
public static partial class WalletDecider
{
    /// <summary>The stream's decisions as one value, for the API's and the activities' command paths.</summary>
    public static Decider<IWalletCommand, OrgWallet> Decider { get; } = new(Decide, (state, e) => e is IWalletEvent typed ? OrgWallet.Evolve(state, typed) : state);

    public const long MaxTopUp = 100_000_000;
    public const long MaxBalance = 1_000_000_000_000;
    public const long MaxRate = 1_000_000;
    public const int MaxAutoTopUpsPerDay = 10;
    public const int MaxBlockMinutes = 24 * 60;
    public const string AutoTopUpActor = "system:auto-top-up";

    /// <summary>Percent of the last top-up spent at which the wallet says so.</summary>
    public static readonly IReadOnlyList<int> Thresholds = [75, 90, 100];

    public static Decision Decide(IWalletCommand command, OrgWallet? state) => command switch
    {
        OpenWallet c => Open(c, state),
        WalletBatch c => DecideEach(c, state) is var each && each.All(d => d.Events.Count == 0)
            ? Decision.None
            : Decision.Accept([.. each.SelectMany(d => d.Events)]),
        _ when state is null => WalletRejections.NotOpen,
        RequestTopUp c => RequestTopUp(c, state),
        StartTopUpPayment c => state.TopUps.GetValueOrDefault(c.TopUpId) switch
        {
            null => WalletRejections.TopUpNotFound,
            { Status: TopUpStatus.Requested } => Decision.Accept(new TopUpPaymentStarted(state.Id, state.OrgId, c.TopUpId, c.PaymentIntentId, c.Status, c.Actor, c.Now)),
            _ => Decision.None, // started already, or Stripe's answer arrived first (succeeded before created)
        },
        CreditTopUp c => Credit(c, state),
        FailTopUp c => state.TopUps.GetValueOrDefault(c.TopUpId) switch
        {
            null => WalletRejections.TopUpNotFound,
            { Status: TopUpStatus.Requested or TopUpStatus.PaymentStarted } =>
                Decision.Accept(new TopUpFailed(state.Id, state.OrgId, c.TopUpId, c.Reason, c.StripeEventId, c.Actor, c.Now)),
            _ => Decision.None, // already failed, or it succeeded (a late failure of an earlier attempt changes nothing)
        },
        RequestRefund c => RequestRefund(c, state),
        RecordRefundIssued c => FindRefund(state, c.RefundId) switch
        {
            null => WalletRejections.RefundNotFound,
            var (topUp, refund) when refund.Status == RefundStatus.Requested =>
                Decision.Accept(new RefundIssued(state.Id, state.OrgId, refund.Id, topUp.Id, c.StripeRefundId, refund.Amount, c.Actor, c.Now)),
            _ => Decision.None,
        },
        RecordRefundFailed c => FindRefund(state, c.RefundId) switch
        {
            null => WalletRejections.RefundNotFound,
            var (topUp, refund) when refund.Status == RefundStatus.Requested =>
                Decision.Accept(new RefundFailed(state.Id, state.OrgId, refund.Id, topUp.Id, refund.Amount, c.Reason, state.Balance + refund.Amount, c.Actor, c.Now)),
            _ => Decision.None,
        },
        RecordChargeRefunded c => ChargeRefunded(c, state),
        RecordDispute c => Dispute(c, state),
        BuyRuntime c => BuyRuntime(c, state),
        SettleRuntime c => SettleRuntime(c, state),
        SetAutoTopUp c => SetAutoTopUp(c, state),
        SetRuntimeRate c => c.RatePerServiceMinute is < 0 or > MaxRate
            ? WalletRejections.InvalidRate
            : state.RatePerServiceMinute == c.RatePerServiceMinute
                ? Decision.None
                : Decision.Accept(new RuntimeRateChanged(state.Id, state.OrgId, c.RatePerServiceMinute, c.Actor, c.Now)),
        SetPaymentMethod c => state.PaymentMethod == new PaymentMethodRef(c.CustomerId, c.PaymentMethodId)
            ? Decision.None
            : Decision.Accept(new PaymentMethodSet(state.Id, state.OrgId, c.CustomerId, c.PaymentMethodId, c.Actor, c.Now)),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown wallet command"),
    };

    /// <summary>Each command of the batch decided on the state the ones before it leave: its own events, none, or its refusal.</summary>
    public static IReadOnlyList<Decision> DecideEach(WalletBatch batch, OrgWallet? state)
    {
        var decisions = new List<Decision>(batch.Commands.Count);
        foreach (var command in batch.Commands)
        {
            var decision = command is WalletBatch ? throw new ArgumentException("a batch holds no batches", nameof(batch)) : Decide(command, state);
            decisions.Add(decision);
            state = Decider.Fold(state, decision.Events);
        }

        return decisions;
    }

    private static Decision Open(OpenWallet c, OrgWallet? state)
    {
        if (!Currencies.IsSupported(c.Currency))
        {
            return WalletRejections.UnknownCurrency;
        }

        if (state is not null)
        {
            return state.Currency == c.Currency ? Decision.None : WalletRejections.CurrencyMismatch(state.Currency);
        }

        return Decision.Accept(new WalletOpened(WalletIds.For(c.OrgId), c.OrgId, c.Currency, c.Actor, c.Now));
    }

    private static Decision RequestTopUp(RequestTopUp c, OrgWallet state)
    {
        if (state.TopUps.TryGetValue(c.TopUpId, out var existing))
        {
            return existing.Amount == c.Amount ? Decision.None : WalletRejections.TopUpExists;
        }

        if (c.Currency != state.Currency)
        {
            return WalletRejections.CurrencyMismatch(state.Currency);
        }

        if (c.Amount is < 1 or > MaxTopUp)
        {
            return WalletRejections.InvalidAmount;
        }

        if (state.Balance + c.Amount > MaxBalance)
        {
            return WalletRejections.BalanceLimit;
        }

        return state.PaymentMethod is null
            ? WalletRejections.NoPaymentMethod
            : Decision.Accept(new TopUpRequested(state.Id, state.OrgId, c.TopUpId, c.Amount, state.Currency, false, c.Actor, c.Now));
    }

    private static Decision Credit(CreditTopUp c, OrgWallet state)
    {
        if (state.TopUps.GetValueOrDefault(c.TopUpId) is not { } topUp)
        {
            return WalletRejections.TopUpNotFound;
        }

        if (topUp.PaymentIntentId is { } known && known != c.PaymentIntentId)
        {
            return WalletRejections.PaymentMismatch;
        }

        if (!string.Equals(c.Currency, state.Currency, StringComparison.OrdinalIgnoreCase) || c.Amount is < 1 or > MaxTopUp)
        {
            return WalletRejections.PaymentMismatch;
        }

        // Succeeded once is credited once. A success after a recorded failure (a late payment past the deadline) is still
        // money received: it is credited.
        return topUp.Status == TopUpStatus.Succeeded
            ? Decision.None
            : Decision.Accept(new WalletCredited(state.Id, state.OrgId, topUp.Id, c.PaymentIntentId, c.Amount, state.Balance + c.Amount, c.StripeEventId, c.Actor, c.Now));
    }

    private static Decision RequestRefund(RequestRefund c, OrgWallet state)
    {
        if (state.TopUps.GetValueOrDefault(c.TopUpId) is not { } topUp)
        {
            return WalletRejections.TopUpNotFound;
        }

        if (topUp.Refunds.FirstOrDefault(r => r.Id == c.RefundId) is { } repeat)
        {
            return repeat.Amount == c.Amount ? Decision.None : WalletRejections.RefundExists;
        }

        if (topUp.Status != TopUpStatus.Succeeded)
        {
            return WalletRejections.TopUpNotCredited;
        }

        if (c.Amount is < 1 or > MaxTopUp)
        {
            return WalletRejections.InvalidAmount;
        }

        if (c.Amount > topUp.Refundable)
        {
            return WalletRejections.RefundExceedsTopUp(topUp.Refundable);
        }

        if (c.Amount > state.Balance)
        {
            return WalletRejections.RefundExceedsBalance(state.Balance);
        }

        var requested = new RefundRequested(state.Id, state.OrgId, c.RefundId, topUp.Id, c.Amount, state.Balance - c.Amount, c.Actor, c.Now);
        return Spent(state, requested, c, mayTopUpAutomatically: false);
    }

    private static Decision ChargeRefunded(RecordChargeRefunded c, OrgWallet state)
    {
        if (state.TopUps.GetValueOrDefault(c.TopUpId) is not { } topUp)
        {
            return WalletRejections.TopUpNotFound;
        }

        var external = c.TotalRefunded - topUp.RefundedByUs - topUp.RefundedExternally;
        if (external <= 0)
        {
            return Decision.None; // EnvForge's own refund, already debited when it was asked for; or a repeat
        }

        var debited = Math.Min(external, state.Balance);
        var refunded = new ChargeRefunded(
            state.Id, state.OrgId, topUp.Id, topUp.PaymentIntentId ?? "", external, debited, external - debited, state.Balance - debited, c.StripeEventId, c.Actor, c.Now);
        return Spent(state, refunded, c, mayTopUpAutomatically: false);
    }

    private static Decision Dispute(RecordDispute c, OrgWallet state)
    {
        if (state.TopUps.GetValueOrDefault(c.TopUpId) is not { } topUp)
        {
            return WalletRejections.TopUpNotFound;
        }

        if (topUp.Disputes.Contains(c.DisputeId))
        {
            return Decision.None;
        }

        var debited = Math.Min(Math.Max(0, c.Amount), state.Balance);
        var disputed = new WalletDisputed(
            state.Id, state.OrgId, topUp.Id, c.DisputeId, c.Amount, debited, c.Amount - debited, state.Balance - debited, c.StripeEventId, c.Actor, c.Now);
        return Spent(state, disputed, c, mayTopUpAutomatically: false);
    }

    private static Decision SetAutoTopUp(SetAutoTopUp c, OrgWallet state)
    {
        if (c.Settings is { } s && (s.Threshold is < 0 or > MaxBalance || s.Amount is < 1 or > MaxTopUp || s.MaxPerDay is < 1 or > MaxAutoTopUpsPerDay))
        {
            return WalletRejections.InvalidAutoTopUp;
        }

        if (c.Settings is not null && state.PaymentMethod is null)
        {
            return WalletRejections.NoPaymentMethod;
        }

        return state.AutoTopUp == c.Settings ? Decision.None : Decision.Accept(new AutoTopUpChanged(state.Id, state.OrgId, c.Settings, c.Actor, c.Now));
    }

    private static (TopUp TopUp, RefundRecord Refund)? FindRefund(OrgWallet state, Guid refundId)
    {
        foreach (var topUp in state.TopUps.Values)
        {
            if (topUp.Refunds.FirstOrDefault(r => r.Id == refundId) is { } refund)
            {
                return (topUp, refund);
            }
        }

        return null;
    }

    /// <summary>
    /// The balance went down by <paramref name="spent"/>: announce each low-balance threshold crossed since the last top-up,
    /// and (for usage) start an automatic top-up when the balance fell under its threshold, once per crossing and at most
    /// the set number a day. The top-up's id derives from how many came before, so a decision made again is the same one.
    /// </summary>
    private static Decision Spent(OrgWallet before, IWalletEvent spent, IWalletCommand c, bool mayTopUpAutomatically)
    {
        var events = new List<IDomainEvent> { spent };
        var after = OrgWallet.Evolve(before, spent)!;
        foreach (var percent in Thresholds)
        {
            if (after.LastTopUpAmount > 0 && !after.ThresholdsCrossed.Contains(percent) && after.Balance * 100 <= after.LastTopUpAmount * (100 - percent))
            {
                var crossed = new LowBalanceThresholdCrossed(after.Id, after.OrgId, percent, after.Balance, after.LastTopUpAmount, c.Actor, c.Now);
                events.Add(crossed);
                after = OrgWallet.Evolve(after, crossed)!;
            }
        }

        if (mayTopUpAutomatically && after is { AutoTopUp: { } auto, AutoTopUpArmed: true, PaymentMethod: not null } && after.Balance < auto.Threshold
            && after.Balance + auto.Amount <= MaxBalance)
        {
            var today = DateOnly.FromDateTime(c.Now.UtcDateTime);
            if ((after.AutoTopUpDay == today ? after.AutoTopUpsThatDay : 0) < auto.MaxPerDay)
            {
                events.Add(new TopUpRequested(
                    after.Id, after.OrgId, WalletIds.AutoTopUp(after.Id, after.AutoTopUpsStarted + 1), auto.Amount, after.Currency, true, AutoTopUpActor, c.Now));
            }
        }

        return Decision.Accept([.. events]);
    }
}
