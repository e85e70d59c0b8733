using EnvForge.Domain.Elevation;
using EnvForge.Projections.Infrastructure;
using Marten;
using Marten.Linq.MatchesSql;

namespace EnvForge.Projections.Elevation;

/// <summary>What an approver of the org is asked to decide: requests still pending, from the elevation history read model.</summary>
public static class PendingApprovals
{
    /// <summary>What an admin of the org is asked to decide: pending requests, oldest (nearest deadline) first.</summary>
    public static async Task<Page<ElevationRecord>> QueryAsync(IQuerySession session, Guid orgId, Guid? after, int limit, CancellationToken ct)
    {
        var query = session.Query<ElevationRecord>().Where(r => r.OrgId == orgId && r.Status == ElevationStatus.Pending);
        if (after is { } afterId)
        {
            query = query.Where(r => r.MatchesSql("d.id > ?", afterId));
        }

        return ElevationHistory.ToPage(await query.OrderBy(r => r.Id).Take(limit + 1).ToListAsync(ct), limit);
    }
}
