using EnvForge.Domain.Sessions;
using Marten;

namespace EnvForge.Projections.Sessions;

/// <summary>"Which sessions does this person have", "which did these people have", "which ended lately".</summary>
public static class SessionDirectory
{
    public const int MaxListed = 200;

    /// <summary>One person's sessions, most recently used first; revoked ones only when asked.</summary>
    public static async Task<IReadOnlyList<Session>> OfAsync(IQuerySession session, string subject, bool includeRevoked, CancellationToken ct)
    {
        var query = session.Query<Session>().Where(s => s.Subject == subject);
        if (!includeRevoked)
        {
            query = query.Where(s => s.RevokedAt == null);
        }

        return await query.OrderByDescending(s => s.LastUsedAt).Take(MaxListed).ToListAsync(ct);
    }

    /// <summary>The sessions of several people (an org's members), most recently used first.</summary>
    public static async Task<IReadOnlyList<Session>> OfAnyAsync(IQuerySession session, IReadOnlyCollection<string> subjects, bool includeRevoked, CancellationToken ct)
    {
        if (subjects.Count == 0)
        {
            return [];
        }

        var list = subjects.ToArray();
        var query = session.Query<Session>().Where(s => s.Subject.IsOneOf(list));
        if (!includeRevoked)
        {
            query = query.Where(s => s.RevokedAt == null);
        }

        return await query.OrderByDescending(s => s.LastUsedAt).Take(MaxListed).ToListAsync(ct);
    }

    /// <summary>Sessions revoked at or after <paramref name="since"/>: the API's revocation list is built from these.</summary>
    public static async Task<IReadOnlyList<(Guid Id, DateTimeOffset RevokedAt)>> RevokedSinceAsync(IQuerySession session, DateTimeOffset since, CancellationToken ct)
    {
        var rows = await session.Query<Session>().Where(s => s.RevokedAt != null && s.RevokedAt >= since)
            .Select(s => new { s.Id, s.RevokedAt }).ToListAsync(ct);
        return [.. rows.Select(r => (r.Id, r.RevokedAt!.Value))];
    }
}
