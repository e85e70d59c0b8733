using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
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

/// <summary>Asynchronous (the Solo daemon), off the metering path: receipts are for reading, not for deciding.</summary>
public sealed partial class UsageReceiptProjection : EventProjection
{
    public UsageReceiptProjection()
    {
        Name = "UsageReceipts";
    }

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        switch (e.Data)
        {
            case UsageDebited debited:
                var id = WalletIds.UsageReceipt(debited.WorkspaceId, debited.PeriodStart);
                var receipt = await operations.LoadAsync<UsageReceipt>(id, cancellation)
                    ?? new UsageReceipt(id, debited.OrgId, debited.WorkspaceId, e.Sequence, debited.Services, debited.PeriodStart, debited.Rate);
                var paid = receipt.Paid + debited.Amount;
                operations.Store(receipt with
                {
                    PaidUntil = debited.Until,
                    MinutesPaid = receipt.MinutesPaid + debited.Minutes,
                    Minutes = receipt.MinutesPaid + debited.Minutes,
                    Paid = paid,
                    Amount = paid,
                });
                break;
            case UsageSettled settled:
                var open = await operations.LoadAsync<UsageReceipt>(WalletIds.UsageReceipt(settled.WorkspaceId, settled.PeriodStart), cancellation);
                if (open is not null)
                {
                    operations.Store(open with { End = settled.End, Minutes = settled.MinutesUsed, Returned = settled.Returned, Amount = settled.Charged });
                }

                break;
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
