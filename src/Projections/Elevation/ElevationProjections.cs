using EnvForge.Domain.Elevation;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Elevation;

/// <summary>The RootElevation aggregate as an inline snapshot: what <c>FetchForWriting</c> reads on every decision.</summary>
public sealed partial class RootElevationProjection : SingleStreamProjection<RootElevation, Guid>
{
    public override RootElevation? Evolve(RootElevation? snapshot, Guid id, IEvent e) =>
        e.Data is IElevationEvent elevationEvent ? RootElevation.Evolve(snapshot, elevationEvent) : snapshot;
}

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
    public override ElevationRecord? Evolve(ElevationRecord? snapshot, Guid id, IEvent e) =>
        e.Data is IElevationEvent elevationEvent ? ElevationRecord.Next(snapshot, elevationEvent) : snapshot;
}
