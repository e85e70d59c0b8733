using EnvForge.Domain.Common;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Projections.Wallet;

/// <summary>One line of the ledger: what moved the balance, by how much, and the balance after it.</summary>
public sealed record LedgerEntry(long Version, DateTimeOffset At, string Kind, long Amount, long BalanceAfter, string Actor, string Summary);

/// <summary>
/// The wallet's ledger with its running balance. Every event that moves money carries the balance after it, so the
/// ledger is the stream itself, read by stream version (its own index): nothing to project, nothing to drift. Newest first;
/// the cursor is the stream version.
/// </summary>
public static class WalletLedger
{
    private static readonly string[] MoneyEvents =
    [
        .. EventStore.EventNames(typeof(IDomainEvent).Assembly).Where(n => typeof(IBalanceChange).IsAssignableFrom(n.Type)).Select(n => n.Name),
    ];

    public static async Task<Page<LedgerEntry>> QueryAsync(IQuerySession session, Guid walletId, long beforeVersion, int limit, CancellationToken ct)
    {
        var query = session.Events.QueryAllRawEvents().Where(e => e.StreamId == walletId && e.EventTypeName.IsOneOf(MoneyEvents));
        if (beforeVersion > 0)
        {
            query = query.Where(e => e.Version < beforeVersion);
        }

        var rows = await query.OrderByDescending(e => e.Version).Take(limit + 1).ToListAsync(ct);
        var entries = rows.Take(limit).Select(e => e.Data is IBalanceChange change
            ? new LedgerEntry(e.Version, change.At, e.EventTypeName, change.Delta, change.BalanceAfter, change.Actor, change.Describe())
            : null).OfType<LedgerEntry>().ToList();
        return new Page<LedgerEntry>(entries, rows.Count > limit ? Cursor.Encode(rows[limit - 1].Version) : null);
    }
}
