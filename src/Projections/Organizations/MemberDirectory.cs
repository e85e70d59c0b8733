using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Marten.Linq.MatchesSql;
using Marten.Patching;
using Marten.Services.BatchQuerying;

namespace EnvForge.Projections.Organizations;

/// <summary>One member of one org: what support staff see when asked "who is in this org, with which role".</summary>
public sealed record MemberView(string Id, Guid OrgId, string UserId, string? DisplayName, Role Role, DateTimeOffset Since, string AddedBy)
{
    public static string KeyOf(Guid orgId, string userId) => $"{orgId:N}:{userId}";

    public Membership Membership => new(Role, DisplayName);
}

/// <summary>
/// Inline, so an org's member list reflects a change as soon as the request that made it returns, and so the command path
/// can read the memberships a command touches by key, covered by the org stream's version (only the org stream writes
/// these documents, in the transaction that appends its events). Each event writes one document without reading it.
/// </summary>
public sealed partial class MemberDirectoryProjection : EventProjection
{
    public MemberDirectoryProjection()
    {
        IncludeType<MemberAdded>();
        IncludeType<MemberRoleChanged>();
        IncludeType<MemberRemoved>();
    }

    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        switch (e.Data)
        {
            case MemberAdded added:
                operations.Store(new MemberView(
                    MemberView.KeyOf(added.OrgId, added.UserId), added.OrgId, added.UserId, added.DisplayName, added.Role, added.At, added.Actor));
                break;
            case MemberRoleChanged changed:
                operations.Patch<MemberView>(MemberView.KeyOf(changed.OrgId, changed.UserId)).Set(m => m.Role, changed.To);
                break;
            case MemberRemoved removed:
                operations.Delete<MemberView>(MemberView.KeyOf(removed.OrgId, removed.UserId));
                break;
        }

        return ValueTask.CompletedTask;
    }
}

public sealed record MemberFilter(Role? Role = null, string? Search = null);

public static class MemberDirectory
{
    /// <summary>
    /// The memberships a command on the org touches, read by key: the actor's and, for a command on a member, that
    /// member's. Read after the stream's version (the command path's session), so the append's version check covers them.
    /// </summary>
    public static async Task<Memberships> MembershipsAsync(IQuerySession session, Guid orgId, string actor, string? member, CancellationToken ct)
    {
        string[] keys = member is null || member == actor ? [MemberView.KeyOf(orgId, actor)] : [MemberView.KeyOf(orgId, actor), MemberView.KeyOf(orgId, member)];
        var found = (await session.LoadManyAsync<MemberView>(ct, keys)).ToDictionary(m => m.UserId, StringComparer.Ordinal);
        return new Memberships(found.GetValueOrDefault(actor)?.Membership, member is null ? null : found.GetValueOrDefault(member)?.Membership);
    }

    /// <summary>The same memberships enlisted in a batch (the command path's read of the org stream), read once it runs.</summary>
    public static async Task<Memberships> MembershipsAsync(IBatchedQuery batch, Guid orgId, string actor, string? member)
    {
        var actorView = batch.Load<MemberView>(MemberView.KeyOf(orgId, actor));
        var memberView = member is null ? null : member == actor ? actorView : batch.Load<MemberView>(MemberView.KeyOf(orgId, member));
        return new Memberships((await actorView)?.Membership, memberView is null ? null : (await memberView)?.Membership);
    }

    /// <summary>Which of <paramref name="users"/> are members of the org now (at most a few, by key: a dev link's named audience).</summary>
    public static async Task<IReadOnlySet<string>> MembersAmongAsync(IQuerySession session, Guid orgId, IEnumerable<string> users, CancellationToken ct)
    {
        var keys = users.Distinct(StringComparer.Ordinal).Select(u => MemberView.KeyOf(orgId, u)).ToArray();
        return keys.Length == 0
            ? new HashSet<string>()
            : (await session.LoadManyAsync<MemberView>(ct, keys)).Select(m => m.UserId).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Every member of the given orgs with their role (the gateway's directory, for orgs with a link that has an audience).</summary>
    public static async Task<ILookup<Guid, MemberView>> MembersOfAsync(IQuerySession session, Guid[] orgIds, CancellationToken ct) =>
        (await session.Query<MemberView>().Where(m => orgIds.Contains(m.OrgId)).ToListAsync(ct)).ToLookup(m => m.OrgId);

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
