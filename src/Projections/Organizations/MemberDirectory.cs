using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Marten.Linq.MatchesSql;

namespace EnvForge.Projections.Organizations;

/// <summary>One member of one org: what support staff see when asked "who is in this org, with which role".</summary>
public sealed record MemberView(string Id, Guid OrgId, string UserId, string? DisplayName, Role Role, DateTimeOffset Since, string AddedBy)
{
    public static string KeyOf(Guid orgId, string userId) => $"{orgId:N}:{userId}";
}

/// <summary>Inline, so an org's member list reflects a change as soon as the request that made it returns.</summary>
public sealed partial class MemberDirectoryProjection : EventProjection
{
    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        switch (e.Data)
        {
            case MemberAdded added:
                operations.Store(new MemberView(
                    MemberView.KeyOf(added.OrgId, added.UserId), added.OrgId, added.UserId, added.DisplayName, added.Role, added.At, added.Actor));
                break;
            case MemberRoleChanged changed:
                var member = await operations.LoadAsync<MemberView>(MemberView.KeyOf(changed.OrgId, changed.UserId), cancellation);
                if (member is not null)
                {
                    operations.Store(member with { Role = changed.To });
                }

                break;
            case MemberRemoved removed:
                operations.Delete<MemberView>(MemberView.KeyOf(removed.OrgId, removed.UserId));
                break;
        }
    }
}

public sealed record MemberFilter(Role? Role = null, string? Search = null);

public static class MemberDirectory
{
    /// <summary>Members of one org ordered by user id, filtered by role and by a user id / display name prefix.</summary>
    public static async Task<Page<MemberView>> QueryAsync(
        IQuerySession session, Guid orgId, MemberFilter filter, string afterUserId, int limit, CancellationToken ct)
    {
        var query = session.Query<MemberView>().Where(m => m.OrgId == orgId);
        if (filter.Role is { } role)
        {
            query = query.Where(m => m.Role == role);
        }

        if (!string.IsNullOrEmpty(filter.Search))
        {
            var search = filter.Search;
            query = query.Where(m => m.UserId.StartsWith(search, StringComparison.OrdinalIgnoreCase)
                || (m.DisplayName != null && m.DisplayName.StartsWith(search, StringComparison.OrdinalIgnoreCase)));
        }

        if (afterUserId.Length > 0)
        {
            // Keyset pagination: same expression and collation as the ORDER BY below.
            query = query.Where(m => m.MatchesSql("d.data ->> 'userId' > ?", afterUserId));
        }

        var rows = await query.OrderBy(m => m.UserId).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit
            ? new Page<MemberView>(rows.Take(limit).ToList(), Cursor.Encode(rows[limit - 1].UserId))
            : new Page<MemberView>(rows, null);
    }

    /// <summary>The orgs a user belongs to, for "which orgs can I see".</summary>
    public static async Task<IReadOnlyList<MemberView>> MembershipsOfAsync(IQuerySession session, string userId, CancellationToken ct) =>
        await session.Query<MemberView>().Where(m => m.UserId == userId).OrderBy(m => m.OrgId).Take(Cursor.MaxLimit).ToListAsync(ct);
}
