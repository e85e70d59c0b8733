using EnvForge.Domain.DevLinks;
using EnvForge.Projections.Infrastructure;
using Marten;
using Marten.Linq.MatchesSql;

namespace EnvForge.Projections.DevLinks;

/// <summary>
/// An org's dev links as its members list them: newest first, optionally for one workspace. Link ids are version-7
/// GUIDs, so id order is issue order and the id is the keyset cursor.
/// </summary>
public static class DevLinkList
{
    public static async Task<Page<DevLink>> QueryAsync(IQuerySession session, Guid orgId, Guid? workspaceId, Guid? before, int limit, CancellationToken ct)
    {
        var query = session.Query<DevLink>().Where(l => l.OrgId == orgId);
        if (workspaceId is { } ws)
        {
            query = query.Where(l => l.WorkspaceId == ws);
        }

        if (before is { } beforeId)
        {
            query = query.Where(l => l.MatchesSql("d.id < ?", beforeId));
        }

        var rows = await query.OrderByDescending(l => l.Id).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit
            ? new Page<DevLink>([.. rows.Take(limit)], Cursor.Encode(rows[limit - 1].Id.ToString()))
            : new Page<DevLink>(rows, null);
    }
}
