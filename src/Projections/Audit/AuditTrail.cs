using EnvForge.Domain.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Projections.Audit;

/// <summary>A support query over one org's trail: every filter optional, each backed by an index (see <see cref="AuditStorage"/>).</summary>
public sealed record AuditQuery(
    string? Action = null, string? Outcome = null, string? Actor = null, Guid? WorkspaceId = null, string? TargetType = null,
    string? TargetId = null, Guid? StreamId = null, string? CorrelationId = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    bool Newest = false);

public static class AuditTrail
{
    /// <summary>
    /// One page of an org's entries in sequence order (oldest first, or newest first), after the sequence
    /// <paramref name="after"/> (0: from the start). Returns the entries and whether more follow.
    /// </summary>
    public static async Task<(IReadOnlyList<AuditEntry> Items, bool More)> QueryAsync(
        IQuerySession session, Guid orgId, AuditQuery q, long after, int limit, CancellationToken ct)
    {
        var query = session.Query<AuditEntry>().Where(a => a.OrgId == orgId);
        if (after > 0)
        {
            query = q.Newest ? query.Where(a => a.Id < after) : query.Where(a => a.Id > after);
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

        query = q.Newest ? query.OrderByDescending(a => a.Id) : query.OrderBy(a => a.Id);
        var rows = await query.Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit ? (rows.Take(limit).ToList(), true) : (rows, false);
    }

    /// <summary>The chain head of every org (or of one), as the projection left it.</summary>
    public static async Task<IReadOnlyList<AuditChainHead>> HeadsAsync(IQuerySession session, CancellationToken ct) =>
        await session.Query<AuditChainHead>().ToListAsync(ct);

    /// <summary>The page type the API answers with (the cursor is made by the API, bound to the org).</summary>
    public static Page<AuditEntry> Page(IReadOnlyList<AuditEntry> items, string? next) => new(items, next);
}
