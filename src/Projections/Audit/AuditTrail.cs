using EnvForge.Domain.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Projections.Audit;

/// <summary>A support query over one org's trail: every filter optional, each backed by an index (see <see cref="AuditStorage"/>).</summary>
public sealed record AuditQuery(
    string? Action = null, string? Outcome = null, string? Actor = null, Guid? WorkspaceId = null, string? TargetType = null,
    string? TargetId = null, Guid? StreamId = null, string? CorrelationId = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    bool Newest = false);

/// <summary>Where a page of the trail ends: an entry's time, then its sequence (entries of one transaction share a time).</summary>
public readonly record struct AuditPosition(DateTimeOffset RecordedAt, long Sequence)
{
    public static AuditPosition Of(AuditEntry entry) => new(entry.RecordedAt, entry.Id);
}

public static class AuditTrail
{
    /// <summary>
    /// One page of an org's entries in time order (then sequence; oldest first, or newest first), after
    /// <paramref name="after"/> (null: from the start). Returns the entries and whether more follow.
    /// </summary>
    public static async Task<(IReadOnlyList<AuditEntry> Items, bool More)> QueryAsync(
        IQuerySession session, Guid orgId, AuditQuery q, AuditPosition? after, int limit, CancellationToken ct)
    {
        var rows = await Build(session, orgId, q, after).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit ? (rows.Take(limit).ToList(), true) : (rows, false);
    }

    /// <summary>
    /// The query behind a page, ordered by (time, sequence): every shape, with or without a time range, is one range scan of
    /// an <c>(org, [field,] recorded_at, id)</c> index in that order, never a sort of what matched (<c>AuditQueryPlanTests</c>).
    /// </summary>
    public static IQueryable<AuditEntry> Build(IQuerySession session, Guid orgId, AuditQuery q, AuditPosition? after)
    {
        var query = session.Query<AuditEntry>().Where(a => a.OrgId == orgId);
        if (after is { } position)
        {
            var (time, sequence) = (position.RecordedAt, position.Sequence);
            // The first conjunct bounds the index range; the second breaks ties inside one timestamp by sequence.
            query = q.Newest
                ? query.Where(a => a.RecordedAt <= time && (a.RecordedAt < time || a.Id < sequence))
                : query.Where(a => a.RecordedAt >= time && (a.RecordedAt > time || a.Id > sequence));
        }

        if (q.Action is { } action)
        {
            query = query.Where(a => a.Action == action);
        }

        if (q.Outcome is { } outcome)
        {
            query = query.Where(a => a.Outcome == outcome);
        }

        if (q.Actor is { } actor)
        {
            query = query.Where(a => a.Actor == actor);
        }

        if (q.WorkspaceId is { } workspace)
        {
            query = query.Where(a => a.WorkspaceId == workspace);
        }

        if (q.TargetId is { } target)
        {
            query = query.Where(a => a.TargetId == target);
        }

        if (q.TargetType is { } targetType)
        {
            query = query.Where(a => a.TargetType == targetType);
        }

        if (q.StreamId is { } stream)
        {
            query = query.Where(a => a.StreamId == stream);
        }

        if (q.CorrelationId is { } correlation)
        {
            query = query.Where(a => a.CorrelationId == correlation);
        }

        if (q.From is { } from)
        {
            query = query.Where(a => a.RecordedAt >= from);
        }

        if (q.To is { } to)
        {
            query = query.Where(a => a.RecordedAt < to);
        }

        return q.Newest
            ? query.OrderByDescending(a => a.RecordedAt).ThenByDescending(a => a.Id)
            : query.OrderBy(a => a.RecordedAt).ThenBy(a => a.Id);
    }

    /// <summary>The chain head of every org (or of one), as the projection left it.</summary>
    public static async Task<IReadOnlyList<AuditChainHead>> HeadsAsync(IQuerySession session, CancellationToken ct) =>
        await session.Query<AuditChainHead>().ToListAsync(ct);

    /// <summary>The page type the API answers with (the cursor is made by the API, bound to the org).</summary>
    public static Page<AuditEntry> Page(IReadOnlyList<AuditEntry> items, string? next) => new(items, next);
}
