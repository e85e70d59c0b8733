using EnvForge.Domain.Elevation;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Marten.Linq.MatchesSql;

namespace EnvForge.Projections.Elevation;

public sealed record ElevationApproval(string Approver, TimeSpan Window, DateTimeOffset At);

/// <summary>
/// One grant as support staff and admins read it: who asked, why, who approved, when root started and ended, and how
/// it ended. Kept after the grant ends (the history per workspace and per user); the pending ones are what an admin
/// is asked to decide. Holds no credential and no role ARN: none is ever on the stream.
/// </summary>
public sealed record ElevationRecord(
    Guid Id, Guid OrgId, Guid WorkspaceId, string Requester, string Reason, string? TicketReference, RootMode Mode,
    TimeSpan RequestedWindow, int ApprovalsRequired, DateTimeOffset RequestedAt, DateTimeOffset Deadline)
{
    public ElevationStatus Status { get; init; } = ElevationStatus.Pending;

    /// <summary>The window that applies: the requested one, or shorter if an approver shortened it.</summary>
    public TimeSpan Window { get; init; } = RequestedWindow;

    public IReadOnlyList<ElevationApproval> Approvals { get; init; } = [];

    /// <summary>The approvers' ids alone, for the "approved by" filter.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    public string? DeniedBy { get; init; }

    public string? RevokedBy { get; init; }

    /// <summary>The denial or revocation reason.</summary>
    public string? EndReason { get; init; }

    /// <summary>When root took effect on the workspace (the window starts here).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>For a closed-out grant: expiry, revoke, policy disabled, or failed activation.</summary>
    public ElevationEnding? ClosedOutAs { get; init; }

    /// <summary>For a request that expired: no decision in time, or root disabled.</summary>
    public ExpiryCause? ExpiredBecause { get; init; }

    /// <summary>Credentials issued before this instant are void.</summary>
    public DateTimeOffset? CredentialsInvalidBefore { get; init; }

    /// <summary>Not ended yet: pending, approved (activating) or active. What "disable root" must close out.</summary>
    public bool IsOpen { get; init; } = true;

    public static ElevationRecord? Next(ElevationRecord? record, IElevationEvent @event) => @event switch
    {
        ElevationRequested e => new ElevationRecord(
            e.GrantId, e.OrgId, e.WorkspaceId, e.Requester, e.Reason, e.TicketReference, e.Mode, e.RequestedWindow, e.ApprovalsRequired, e.At, e.Deadline),
        _ when record is null => null,
        ElevationApproved e => record with
        {
            Approvals = [.. record.Approvals, new ElevationApproval(e.Approver, e.Window, e.At)],
            Approvers = [.. record.Approvers, e.Approver],
            Window = e.Window,
            Status = e.ApprovalsGiven >= e.ApprovalsRequired ? ElevationStatus.Approved : ElevationStatus.Pending,
        },
        ElevationDenied e => Ended(record, ElevationStatus.Denied, e.At) with { DeniedBy = e.Approver, EndReason = e.Reason },
        ElevationActivated e => record with { Status = ElevationStatus.Active, StartedAt = e.NotBefore, ExpiresAt = e.ExpiresAt },
        ElevationRevoked e when record.Status == ElevationStatus.Active => record with { RevokedBy = e.RevokedBy, EndReason = e.Reason },
        ElevationRevoked e => Ended(record, ElevationStatus.Revoked, e.At) with { RevokedBy = e.RevokedBy, EndReason = e.Reason },
        ElevationExpired e => Ended(record, ElevationStatus.Expired, e.At) with { ExpiredBecause = e.Cause },
        ElevationClosedOut e => Ended(record, ElevationStatus.ClosedOut, e.At) with
        {
            ClosedOutAs = e.How,
            CredentialsInvalidBefore = e.CredentialsInvalidBefore,
        },
        _ => record,
    };

    private static ElevationRecord Ended(ElevationRecord record, ElevationStatus status, DateTimeOffset at) =>
        record with { Status = status, EndedAt = at, IsOpen = false };
}

public sealed partial class ElevationRecordProjection : SingleStreamProjection<ElevationRecord, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public ElevationRecordProjection() => IncludeType<IElevationEvent>();

    public override ElevationRecord? Evolve(ElevationRecord? snapshot, Guid id, IEvent e) =>
        e.Data is IElevationEvent elevationEvent ? ElevationRecord.Next(snapshot, elevationEvent) : snapshot;
}

/// <summary>Filters of the elevation history: any combination, all within one org.</summary>
public sealed record ElevationHistoryFilter(Guid? WorkspaceId = null, string? Requester = null, string? Approver = null, ElevationStatus? Status = null);

/// <summary>
/// Every grant of an org as support staff and auditors ask about it: who asked, who decided, how it ended. Grant ids are
/// version-7 GUIDs, so id order is request order and the id is the keyset cursor (PostgreSQL compares uuids as their text sorts).
/// </summary>
public static class ElevationHistory
{
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

    internal static Page<ElevationRecord> ToPage(IReadOnlyList<ElevationRecord> rows, int limit) => rows.Count > limit
        ? new Page<ElevationRecord>(rows.Take(limit).ToList(), Cursor.Encode(rows[limit - 1].Id.ToString()))
        : new Page<ElevationRecord>(rows, null);
}
