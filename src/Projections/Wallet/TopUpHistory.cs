using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;

namespace EnvForge.Projections.Wallet;

public sealed record TopUpRefund(Guid Id, long Amount, RefundStatus Status, string? StripeRefundId, string? FailureReason, DateTimeOffset RequestedAt);

/// <summary>
/// One top-up as billing staff and support read it: who asked, how much, its payment, and what came back out of it.
/// <see cref="Sequence"/> is its request's time in ticks: the list's order and cursor (inline, written before the event
/// store numbers the event; automatic top-up ids are not time-ordered).
/// </summary>
public sealed record TopUpRecord(
    Guid Id, Guid OrgId, long Sequence, long Amount, string Currency, bool Automatic, string RequestedBy, DateTimeOffset RequestedAt)
{
    public TopUpStatus Status { get; init; } = TopUpStatus.Requested;

    public string? PaymentIntentId { get; init; }

    public string? PaymentStatus { get; init; }

    public long Credited { get; init; }

    public DateTimeOffset? CreditedAt { get; init; }

    public string? FailureReason { get; init; }

    public IReadOnlyList<TopUpRefund> Refunds { get; init; } = [];

    public long RefundedExternally { get; init; }

    public long Disputed { get; init; }

    public static TopUpRecord? Next(TopUpRecord? record, IWalletEvent @event) => @event switch
    {
        TopUpRequested e => new TopUpRecord(e.TopUpId, e.OrgId, e.At.UtcTicks, e.Amount, e.Currency, e.Automatic, e.Actor, e.At),
        _ when record is null => null,
        TopUpPaymentStarted e => record with
        {
            PaymentIntentId = e.PaymentIntentId,
            PaymentStatus = e.Status,
            Status = record.Status == TopUpStatus.Requested ? TopUpStatus.PaymentStarted : record.Status,
        },
        WalletCredited e => record with
        {
            Status = TopUpStatus.Succeeded,
            PaymentIntentId = e.PaymentIntentId,
            PaymentStatus = "succeeded",
            Credited = record.Credited + e.Amount,
            CreditedAt = e.At,
            FailureReason = null,
        },
        TopUpFailed e => record with { Status = TopUpStatus.Failed, FailureReason = e.Reason },
        RefundRequested e => record with { Refunds = [.. record.Refunds, new TopUpRefund(e.RefundId, e.Amount, RefundStatus.Requested, null, null, e.At)] },
        RefundIssued e => record with
        {
            Refunds = [.. record.Refunds.Select(r => r.Id == e.RefundId ? r with { Status = RefundStatus.Issued, StripeRefundId = e.StripeRefundId } : r)],
        },
        RefundFailed e => record with
        {
            Refunds = [.. record.Refunds.Select(r => r.Id == e.RefundId ? r with { Status = RefundStatus.Failed, FailureReason = e.Reason } : r)],
        },
        ChargeRefunded e => record with { RefundedExternally = record.RefundedExternally + e.Refunded },
        WalletDisputed e => record with { Disputed = record.Disputed + e.Amount },
        _ => record,
    };
}

/// <summary>
/// Inline: the top-up list reads its own writes, and the webhook finds a top-up by its PaymentIntent. An aggregation keyed
/// by top-up, so Marten folds every event of one top-up in a batch onto the record in order (a rebuild's batch carries a
/// top-up's request, payment and credit together, none of them stored yet).
/// </summary>
public sealed partial class TopUpHistoryProjection : MultiStreamProjection<TopUpRecord, Guid>
{
    public TopUpHistoryProjection()
    {
        Name = "TopUpHistory";
        Identity<TopUpRequested>(e => e.TopUpId);
        Identity<TopUpPaymentStarted>(e => e.TopUpId);
        Identity<WalletCredited>(e => e.TopUpId);
        Identity<TopUpFailed>(e => e.TopUpId);
        Identity<RefundRequested>(e => e.TopUpId);
        Identity<RefundIssued>(e => e.TopUpId);
        Identity<RefundFailed>(e => e.TopUpId);
        Identity<ChargeRefunded>(e => e.TopUpId);
        Identity<WalletDisputed>(e => e.TopUpId);
    }

    public override TopUpRecord? Evolve(TopUpRecord? snapshot, Guid id, IEvent e) =>
        e.Data is IWalletEvent walletEvent ? TopUpRecord.Next(snapshot, walletEvent) : snapshot;
}

public static class TopUpHistory
{
    /// <summary>An org's top-ups, newest first, before the cursor's sequence.</summary>
    public static async Task<Page<TopUpRecord>> QueryAsync(IQuerySession session, Guid orgId, long beforeSequence, int limit, CancellationToken ct)
    {
        var query = session.Query<TopUpRecord>().Where(t => t.OrgId == orgId);
        if (beforeSequence > 0)
        {
            query = query.Where(t => t.Sequence < beforeSequence);
        }

        var rows = await query.OrderByDescending(t => t.Sequence).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit
            ? new Page<TopUpRecord>([.. rows.Take(limit)], Cursor.Encode(rows[limit - 1].Sequence))
            : new Page<TopUpRecord>(rows, null);
    }

    /// <summary>The top-up a Stripe PaymentIntent paid for (charges and disputes name the PaymentIntent, not the top-up).</summary>
    public static Task<TopUpRecord?> ByPaymentIntentAsync(IQuerySession session, string paymentIntentId, CancellationToken ct) =>
        session.Query<TopUpRecord>().Where(t => t.PaymentIntentId == paymentIntentId).FirstOrDefaultAsync(ct);
}
