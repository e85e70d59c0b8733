namespace EnvForge.Domain.Wallet;

/// <summary>"When the balance falls under <see cref="Threshold"/>, top up <see cref="Amount"/>, at most <see cref="MaxPerDay"/> times a day."</summary>
public sealed record AutoTopUpSettings(long Threshold, long Amount, int MaxPerDay);

public sealed record PaymentMethodRef(string CustomerId, string PaymentMethodId);

public enum TopUpStatus
{
    Requested,
    PaymentStarted,
    Succeeded,
    Failed,
}

public enum RefundStatus
{
    Requested,
    Issued,
    Failed,
}

public sealed record RefundRecord(Guid Id, long Amount, RefundStatus Status, string? StripeRefundId = null);

/// <summary>One top-up as decisions need it: its payment, what it credited, and what has gone back out of it.</summary>
public sealed record TopUp(Guid Id, long Amount, bool Automatic, DateTimeOffset RequestedAt)
{
    public TopUpStatus Status { get; init; } = TopUpStatus.Requested;

    public string? PaymentIntentId { get; init; }

    public long Credited { get; init; }

    public string? FailureReason { get; init; }

    public IReadOnlyList<RefundRecord> Refunds { get; init; } = [];

    /// <summary>Refunded at Stripe without EnvForge asking (from <c>charge.refunded</c>).</summary>
    public long RefundedExternally { get; init; }

    public IReadOnlyList<string> Disputes { get; init; } = [];

    public long Disputed { get; init; }

    /// <summary>Refunds EnvForge asked for and that did not fail (requested or issued).</summary>
    public long RefundedByUs => Refunds.Where(r => r.Status != RefundStatus.Failed).Sum(r => r.Amount);

    /// <summary>What may still be refunded from this top-up (before the balance's own limit).</summary>
    public long Refundable => Math.Max(0, Credited - RefundedByUs - RefundedExternally - Disputed);
}

/// <summary>A workspace's awake period being paid ahead: what is paid, until when, and its per-minute price (fixed at its start).</summary>
public sealed record RuntimeMeter(
    DateTimeOffset PeriodStart, DateTimeOffset PaidUntil, int PaidMinutes, long PerMinute, long Rate, IReadOnlyList<string> Services, long Paid);

/// <summary>
/// The state of one org's Wallet stream. It holds what decisions need: the balance, settings, the org's top-ups (for
/// credits, refunds and disputes) and the meters of workspaces awake now (a settled period is dropped).
/// </summary>
public sealed record OrgWallet(Guid Id, Guid OrgId, string Currency)
{
    public long Balance { get; init; }

    /// <summary>The org's runtime rate per service-minute; null for the configured default.</summary>
    public long? RatePerServiceMinute { get; init; }

    public PaymentMethodRef? PaymentMethod { get; init; }

    public AutoTopUpSettings? AutoTopUp { get; init; }

    /// <summary>Whether the next fall under the threshold starts an automatic top-up (once per crossing).</summary>
    public bool AutoTopUpArmed { get; init; }

    /// <summary>How many automatic top-ups were ever started (their ids derive from it).</summary>
    public int AutoTopUpsStarted { get; init; }

    public DateOnly? AutoTopUpDay { get; init; }

    public int AutoTopUpsThatDay { get; init; }

    /// <summary>The amount of the last credited top-up, against which the low-balance thresholds are measured.</summary>
    public long LastTopUpAmount { get; init; }

    /// <summary>Low-balance thresholds (percent of the last top-up spent) already announced since that top-up.</summary>
    public IReadOnlyList<int> ThresholdsCrossed { get; init; } = [];

    public IReadOnlyDictionary<Guid, TopUp> TopUps { get; init; } = new Dictionary<Guid, TopUp>();

    /// <summary>Open awake periods, by workspace.</summary>
    public IReadOnlyDictionary<Guid, RuntimeMeter> Meters { get; init; } = new Dictionary<Guid, RuntimeMeter>();

    public static OrgWallet? Evolve(OrgWallet? state, IWalletEvent @event)
    {
        if (@event is WalletOpened opened)
        {
            return new OrgWallet(opened.WalletId, opened.OrgId, opened.Currency);
        }

        if (state is null)
        {
            return null;
        }

        var next = @event switch
        {
            TopUpRequested e => state.WithTopUp(new TopUp(e.TopUpId, e.Amount, e.Automatic, e.At)) with
            {
                AutoTopUpsStarted = e.Automatic ? state.AutoTopUpsStarted + 1 : state.AutoTopUpsStarted,
                AutoTopUpDay = e.Automatic ? DateOnly.FromDateTime(e.At.UtcDateTime) : state.AutoTopUpDay,
                AutoTopUpsThatDay = !e.Automatic ? state.AutoTopUpsThatDay
                    : state.AutoTopUpDay == DateOnly.FromDateTime(e.At.UtcDateTime) ? state.AutoTopUpsThatDay + 1 : 1,
                AutoTopUpArmed = !e.Automatic && state.AutoTopUpArmed,
            },
            TopUpPaymentStarted e => state.Update(e.TopUpId, t => t with
            {
                PaymentIntentId = e.PaymentIntentId,
                Status = t.Status == TopUpStatus.Requested ? TopUpStatus.PaymentStarted : t.Status,
            }),
            WalletCredited e => state.Update(e.TopUpId, t => t with { Status = TopUpStatus.Succeeded, PaymentIntentId = e.PaymentIntentId, Credited = t.Credited + e.Amount, FailureReason = null })
                with
            { LastTopUpAmount = e.Amount, ThresholdsCrossed = [] },
            TopUpFailed e => state.Update(e.TopUpId, t => t with { Status = TopUpStatus.Failed, FailureReason = e.Reason }),
            RefundRequested e => state.Update(e.TopUpId, t => t with { Refunds = [.. t.Refunds, new RefundRecord(e.RefundId, e.Amount, RefundStatus.Requested)] }),
            RefundIssued e => state.Update(e.TopUpId, t => t with
            {
                Refunds = [.. t.Refunds.Select(r => r.Id == e.RefundId ? r with { Status = RefundStatus.Issued, StripeRefundId = e.StripeRefundId } : r)],
            }),
            RefundFailed e => state.Update(e.TopUpId, t => t with
            {
                Refunds = [.. t.Refunds.Select(r => r.Id == e.RefundId ? r with { Status = RefundStatus.Failed } : r)],
            }),
            ChargeRefunded e => state.Update(e.TopUpId, t => t with { RefundedExternally = t.RefundedExternally + e.Refunded }),
            WalletDisputed e => state.Update(e.TopUpId, t => t with { Disputes = [.. t.Disputes, e.DisputeId], Disputed = t.Disputed + e.Amount }),
            UsageDebited e => state.WithMeter(e.WorkspaceId, state.Meters.GetValueOrDefault(e.WorkspaceId) is { } m && m.PeriodStart == e.PeriodStart
                ? m with { PaidUntil = e.Until, PaidMinutes = m.PaidMinutes + e.Minutes, Paid = m.Paid + e.Amount }
                : new RuntimeMeter(e.PeriodStart, e.Until, e.Minutes, e.Services.Count * e.Rate, e.Rate, e.Services, e.Amount)),
            UsageSettled e => state with { Meters = state.Meters.Where(m => m.Key != e.WorkspaceId).ToDictionary() },
            LowBalanceThresholdCrossed e => state with { ThresholdsCrossed = [.. state.ThresholdsCrossed, e.PercentSpent] },
            AutoTopUpChanged e => state with { AutoTopUp = e.Settings, AutoTopUpArmed = e.Settings is not null },
            RuntimeRateChanged e => state with { RatePerServiceMinute = e.RatePerServiceMinute },
            PaymentMethodSet e => state with { PaymentMethod = new PaymentMethodRef(e.CustomerId, e.PaymentMethodId) },
            _ => state,
        };

        if (@event is IBalanceChange change)
        {
            next = next with { Balance = change.BalanceAfter };
            // A balance back at or over the threshold arms the next automatic top-up.
            if (next.AutoTopUp is { } auto && change.Delta > 0 && next.Balance >= auto.Threshold)
            {
                next = next with { AutoTopUpArmed = true };
            }
        }

        return next;
    }

    private OrgWallet WithTopUp(TopUp topUp) => this with { TopUps = new Dictionary<Guid, TopUp>(TopUps) { [topUp.Id] = topUp } };

    private OrgWallet Update(Guid topUpId, Func<TopUp, TopUp> change) =>
        TopUps.TryGetValue(topUpId, out var topUp) ? WithTopUp(change(topUp)) : this;

    private OrgWallet WithMeter(Guid workspaceId, RuntimeMeter meter) =>
        this with { Meters = new Dictionary<Guid, RuntimeMeter>(Meters) { [workspaceId] = meter } };
}
