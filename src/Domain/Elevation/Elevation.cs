using System.Collections.Immutable;

namespace EnvForge.Domain.Elevation;

public enum ElevationStatus
{
    /// <summary>Waiting for a decision; may already hold some of the approvals it needs.</summary>
    Pending,

    /// <summary>Fully approved, about to be activated.</summary>
    Approved,

    Active,

    // Final statuses: a grant reaches exactly one of them, exactly once.
    Denied,
    Revoked,
    Expired,
    ClosedOut,
}

/// <summary>
/// The state of one RootElevation stream (one grant), rebuilt by <see cref="Evolve"/>. Named for the stream, so it
/// does not clash with the <c>Elevation</c> namespaces.
/// </summary>
public sealed record RootElevation(
    Guid Id, Guid OrgId, Guid WorkspaceId, string Requester, string Reason, string? TicketReference, RootMode Mode,
    TimeSpan RequestedWindow, int ApprovalsRequired, DateTimeOffset Deadline, DateTimeOffset RequestedAt)
{
    public ElevationStatus Status { get; init; } = ElevationStatus.Pending;

    /// <summary>The window that will apply on activation: the requested one, or shorter if an approver shortened it.</summary>
    public TimeSpan Window { get; init; } = RequestedWindow;

    /// <summary>Distinct approvers, in order.</summary>
    public ImmutableList<string> Approvers { get; init; } = [];

    public DateTimeOffset? ActivatedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Set when an active grant is revoked; the closeout activity ends it (how: Revoked), before its expiry.</summary>
    public string? RevokedBy { get; init; }

    public ElevationEnding? Ending { get; init; }

    public DateTimeOffset? CredentialsInvalidBefore { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public bool IsFinal => Status is ElevationStatus.Denied or ElevationStatus.Revoked or ElevationStatus.Expired or ElevationStatus.ClosedOut;

    public static RootElevation? Evolve(RootElevation? state, IElevationEvent @event) => @event switch
    {
        ElevationRequested e => new RootElevation(
            e.GrantId, e.OrgId, e.WorkspaceId, e.Requester, e.Reason, e.TicketReference, e.Mode, e.RequestedWindow, e.ApprovalsRequired, e.Deadline, e.At),
        ElevationApproved e => state! with
        {
            Approvers = state.Approvers.Add(e.Approver),
            Window = e.Window,
            Status = state.Approvers.Count + 1 >= state.ApprovalsRequired ? ElevationStatus.Approved : ElevationStatus.Pending,
        },
        ElevationDenied e => state! with { Status = ElevationStatus.Denied, EndedAt = e.At },
        ElevationActivated e => state! with { Status = ElevationStatus.Active, ActivatedAt = e.NotBefore, ExpiresAt = e.ExpiresAt },
        // An active grant stays active until its closeout has taken root away on the host.
        ElevationRevoked e when state!.Status == ElevationStatus.Active => state with { RevokedBy = e.RevokedBy },
        ElevationRevoked e => state! with { Status = ElevationStatus.Revoked, RevokedBy = e.RevokedBy, EndedAt = e.At },
        ElevationExpired e => state! with { Status = ElevationStatus.Expired, EndedAt = e.At },
        ElevationClosedOut e => state! with
        {
            Status = ElevationStatus.ClosedOut,
            Ending = e.How,
            CredentialsInvalidBefore = e.CredentialsInvalidBefore,
            EndedAt = e.At,
        },
        _ => state,
    };
}
