using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;

namespace EnvForge.Projections.Wallet;

/// <summary>One service's share of an awake period: every service of a workspace is awake for the same minutes.</summary>
public sealed record ServiceUsage(string Service, int Minutes, long Amount);

/// <summary>
/// What one awake period of a workspace cost: its services, start and end, minutes, the rate per service-minute and the
/// amount. While the period is open it shows what is paid ahead so far (<see cref="End"/> is null). Support answers
/// "why did the balance go down" from these. <see cref="Sequence"/> (of the period's first debit) orders and pages them.
/// </summary>
public sealed record UsageReceipt(
    Guid Id, Guid OrgId, Guid WorkspaceId, long Sequence, IReadOnlyList<string> Services, DateTimeOffset Start, long Rate)
{
    public DateTimeOffset PaidUntil { get; init; }

    public DateTimeOffset? End { get; init; }

    public int MinutesPaid { get; init; }

    /// <summary>Started minutes awake (the period's charge); while open, the minutes paid so far.</summary>
    public int Minutes { get; init; }

    public long Paid { get; init; }

    public long Returned { get; init; }

    /// <summary>What the period cost: paid ahead minus returned.</summary>
    public long Amount { get; init; }

    public bool Settled => End is not null;

    public IReadOnlyList<ServiceUsage> PerService => [.. Services.Select(s => new ServiceUsage(s, Minutes, Minutes * Rate))];
}

/// <summary>
/// Asynchronous (the Solo daemon), off the metering path: receipts are for reading, not for deciding. An aggregation by
/// receipt (workspace and period), so the debits and the settlement of one period that the daemon takes in one batch are
/// applied in order to one receipt (a load per event would not see what the batch stored before it). Version 2, in a
/// table of its own: the first version, an event projection, kept its receipts in a table of another shape; this one is
/// built from the first event on, and the old table is left for an operator to drop.
/// </summary>
public sealed partial class UsageReceiptProjection : MultiStreamProjection<UsageReceipt, Guid>
{
    public UsageReceiptProjection()
    {
        Name = "UsageReceipts";
        Version = 2;
        Identity<UsageDebited>(d => WalletIds.UsageReceipt(d.WorkspaceId, d.PeriodStart));
        Identity<UsageSettled>(s => WalletIds.UsageReceipt(s.WorkspaceId, s.PeriodStart));
    }

    public override UsageReceipt? Evolve(UsageReceipt? receipt, Guid id, IEvent e)
    {
        switch (e.Data)
        {
            case UsageDebited debited:
                var open = receipt ?? new UsageReceipt(id, debited.OrgId, debited.WorkspaceId, e.Sequence, debited.Services, debited.PeriodStart, debited.Rate);
                var paid = open.Paid + debited.Amount;
                return open with
                {
                    PaidUntil = debited.Until,
                    MinutesPaid = open.MinutesPaid + debited.Minutes,
                    Minutes = open.MinutesPaid + debited.Minutes,
                    Paid = paid,
                    Amount = paid,
                };
            case UsageSettled settled when receipt is not null:
                return receipt with { End = settled.End, Minutes = settled.MinutesUsed, Returned = settled.Returned, Amount = settled.Charged };
            default:
                return receipt;
        }
    }
}

public sealed record UsageFilter(Guid? WorkspaceId = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

public static class UsageReceipts
{
    /// <summary>An org's receipts, newest first: per workspace, and periods that started in [from, to).</summary>
    public static async Task<Page<UsageReceipt>> QueryAsync(IQuerySession session, Guid orgId, UsageFilter filter, long beforeSequence, int limit, CancellationToken ct)
    {
        var query = session.Query<UsageReceipt>().Where(r => r.OrgId == orgId);
        if (filter.WorkspaceId is { } workspaceId)
        {
            query = query.Where(r => r.WorkspaceId == workspaceId);
        }

        if (filter.From is { } from)
        {
            query = query.Where(r => r.Start >= from);
        }

        if (filter.To is { } to)
        {
            query = query.Where(r => r.Start < to);
        }

        if (beforeSequence > 0)
        {
            query = query.Where(r => r.Sequence < beforeSequence);
        }

        var rows = await query.OrderByDescending(r => r.Sequence).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit
            ? new Page<UsageReceipt>([.. rows.Take(limit)], Cursor.Encode(rows[limit - 1].Sequence))
            : new Page<UsageReceipt>(rows, null);
    }
}
