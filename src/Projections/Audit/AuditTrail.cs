using EnvForge.Domain.Common;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EnvForge.Projections.Audit;

/// <summary>
/// One entry per security-relevant event. <see cref="Sequence"/> is the event's global sequence: the order
/// auditors replay in and the key cursors page by. Nothing here is ever a secret: entries are built only
/// from ids and the event's own secret-free summary.
/// </summary>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    DateTimeOffset RecordedAt,
    Guid OrgId,
    string Actor,
    string Action,
    Guid StreamId,
    long StreamVersion,
    string Summary)
{
    public long Sequence => Id;
}

/// <summary>Runs asynchronously in the Solo daemon (see README, "Scaling out"), off the request path.</summary>
public sealed partial class AuditTrailProjection : EventProjection
{
    public AuditTrailProjection()
    {
        Name = "AuditTrail";
    }

    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is IDomainEvent domainEvent)
        {
            operations.Store(new AuditEntry(
                e.Sequence, domainEvent.At, e.Timestamp, domainEvent.OrgId, domainEvent.Actor, e.EventTypeName,
                e.StreamId, e.Version, domainEvent.Describe()));
        }

        return ValueTask.CompletedTask;
    }
}

public sealed record AuditFilter(string? Action = null, string? Actor = null, Guid? StreamId = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

public static class AuditTrail
{
    /// <summary>An org's entries in sequence order, after the cursor's sequence.</summary>
    public static async Task<Page<AuditEntry>> QueryAsync(
        IQuerySession session, Guid orgId, AuditFilter filter, long afterSequence, int limit, CancellationToken ct)
    {
        var query = session.Query<AuditEntry>().Where(a => a.OrgId == orgId && a.Id > afterSequence);
        if (filter.Action is { Length: > 0 } action)
        {
            query = query.Where(a => a.Action == action);
        }

        if (filter.Actor is { Length: > 0 } actor)
        {
            query = query.Where(a => a.Actor == actor);
        }

        if (filter.StreamId is { } streamId)
        {
            query = query.Where(a => a.StreamId == streamId);
        }

        if (filter.From is { } from)
        {
            query = query.Where(a => a.At >= from);
        }

        if (filter.To is { } to)
        {
            query = query.Where(a => a.At < to);
        }

        var rows = await query.OrderBy(a => a.Id).Take(limit + 1).ToListAsync(ct);
        return rows.Count > limit
            ? new Page<AuditEntry>(rows.Take(limit).ToList(), Cursor.Encode(rows[limit - 1].Id))
            : new Page<AuditEntry>(rows, null);
    }
}
