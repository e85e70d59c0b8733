using EnvForge.Domain.Elevation;
using EnvForge.Projections.Infrastructure;
using Marten;
using Marten.Linq.MatchesSql;

namespace EnvForge.Projections.Elevation;

/// <summary>Filters of the elevation history: any combination, all within one org.</summary>
public sealed record ElevationHistoryFilter(Guid? WorkspaceId = null, string? Requester = null, string? Approver = null, ElevationStatus? Status = null);

/// <summary>
/// Queries over <see cref="ElevationRecord"/>. Grant ids are version-7 GUIDs, so id order is request order, and the id
/// is the keyset cursor (PostgreSQL compares uuids the way their text sorts).
/// </summary>
public static class ElevationRecords
{
    /// <summary>What an admin of the org is asked to decide: pending requests, oldest (nearest deadline) first.</summary>
    public static async Task<Page<ElevationRecord>> PendingAsync(IQuerySession session, Guid orgId, Guid? after, int limit, CancellationToken ct)
    {
        var query = session.Query<ElevationRecord>().Where(r => r.OrgId == orgId && r.Status == ElevationStatus.Pending);
        if (after is { } afterId)
        {
            query = query.Where(r => r.MatchesSql("d.id > ?", afterId));
        }

        return ToPage(await query.OrderBy(r => r.Id).Take(limit + 1).ToListAsync(ct), limit);
    }

    /// <summary>Every grant of the org matching the filter, ended ones included, newest first.</summary>
    public static async Task<Page<ElevationRecord>> HistoryAsync(
        IQuerySession session, Guid orgId, ElevationHistoryFilter filter, Guid? before, int limit, CancellationToken ct)
    {
        var query = session.Query<ElevationRecord>().Where(r => r.OrgId == orgId);
        if (filter.WorkspaceId is { } workspaceId)
        {
            query = query.Where(r => r.WorkspaceId == workspaceId);
        }

        if (filter.Requester is { Length: > 0 } requester)
        {
            query = query.Where(r => r.Requester == requester);
        }

        if (filter.Approver is { Length: > 0 } approver)
        {
            query = query.Where(r => r.Approvers.Contains(approver));
        }

        if (filter.Status is { } status)
        {
            query = query.Where(r => r.Status == status);
        }

        if (before is { } beforeId)
        {
            query = query.Where(r => r.MatchesSql("d.id < ?", beforeId));
        }

        return ToPage(await query.OrderByDescending(r => r.Id).Take(limit + 1).ToListAsync(ct), limit);
    }

    /// <summary>Grants of the org that have not ended: what switching root off must close out.</summary>
    public static async Task<IReadOnlyList<ElevationRecord>> OpenAsync(IQuerySession session, Guid orgId, CancellationToken ct) =>
        await session.Query<ElevationRecord>().Where(r => r.OrgId == orgId && r.IsOpen).OrderBy(r => r.Id).ToListAsync(ct);

    private static Page<ElevationRecord> ToPage(IReadOnlyList<ElevationRecord> rows, int limit) => rows.Count > limit
        ? new Page<ElevationRecord>(rows.Take(limit).ToList(), Cursor.Encode(rows[limit - 1].Id.ToString()))
        : new Page<ElevationRecord>(rows, null);
}
