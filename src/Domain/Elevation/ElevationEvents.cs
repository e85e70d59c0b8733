using EnvForge.Domain.Common;

namespace EnvForge.Domain.Elevation;

/// <summary>
/// The closed family of events on a RootElevation stream: one stream per grant. Exactly one event ends a grant:
/// <see cref="ElevationDenied"/>, <see cref="ElevationExpired"/>, <see cref="ElevationRevoked"/> before activation, or
/// <see cref="ElevationClosedOut"/> after it. Reasons are user text, kept for auditors; no event carries a credential.
/// </summary>
public interface IElevationEvent : IDomainEvent
{
    Guid GrantId { get; }
}

/// <summary>How an active grant ended.</summary>
public enum ElevationEnding
{
    Expired,
    Revoked,
    PolicyDisabled,

    /// <summary>Fully approved, but root could not be put in place on the host; closed out so nothing is left open.</summary>
    ActivationFailed,
}

/// <summary>Why a grant that never became active expired.</summary>
public enum ExpiryCause
{
    DeadlinePassed,
    PolicyDisabled,
}

/// <summary>
/// A request for root on one workspace. It copies the policy terms it was made under (mode, approvals, deadline),
/// so a later policy change never widens it.
/// </summary>
[EventName("elevation.requested.v1")]
public sealed record ElevationRequested(
    Guid GrantId, Guid OrgId, Guid WorkspaceId, string Requester, string Reason, string? TicketReference, RootMode Mode,
    TimeSpan RequestedWindow, int ApprovalsRequired, DateTimeOffset Deadline, string Actor, DateTimeOffset At) : IElevationEvent
{
    public string Describe() =>
        $"{Requester} requested {Mode} root on workspace {WorkspaceId} for {Minutes(RequestedWindow)}"
        + (TicketReference is null ? "" : $" ({TicketReference})") + $": {Reason}";

    internal static string Minutes(TimeSpan window) => $"{window.TotalMinutes:0} min";
}

/// <summary>One approval. <paramref name="Window"/> is the window approved so far: the requested one or shorter.</summary>
[EventName("elevation.approved.v1")]
public sealed record ElevationApproved(
    Guid GrantId, Guid OrgId, string Approver, TimeSpan Window, int ApprovalsGiven, int ApprovalsRequired, string Actor, DateTimeOffset At)
    : IElevationEvent
{
    public string Describe() =>
        $"{Approver} approved root elevation ({ApprovalsGiven} of {ApprovalsRequired}) for {ElevationRequested.Minutes(Window)}";
}

[EventName("elevation.denied.v1")]
public sealed record ElevationDenied(Guid GrantId, Guid OrgId, string Approver, string Reason, string Actor, DateTimeOffset At) : IElevationEvent
{
    public string Describe() => $"{Approver} denied root elevation: {Reason}";
}

/// <summary>Root is in effect on the workspace: the window starts here, not at the request.</summary>
[EventName("elevation.activated.v1")]
public sealed record ElevationActivated(
    Guid GrantId, Guid OrgId, Guid WorkspaceId, DateTimeOffset NotBefore, DateTimeOffset ExpiresAt, string Actor, DateTimeOffset At)
    : IElevationEvent
{
    public string Describe() => $"activated root on workspace {WorkspaceId} until {ExpiresAt:O}";
}

/// <summary>
/// Someone (the requester, an Admin or an Owner) took the grant back. Before activation this ends the grant;
/// an active grant stays active until the closeout activity has removed root on the host and appended
/// <see cref="ElevationClosedOut"/> (how: Revoked).
/// </summary>
[EventName("elevation.revoked.v1")]
public sealed record ElevationRevoked(Guid GrantId, Guid OrgId, string RevokedBy, string Reason, string Actor, DateTimeOffset At) : IElevationEvent
{
    public string Describe() => $"{RevokedBy} revoked root elevation: {Reason}";
}

/// <summary>A grant that never became active ended without a decision in time, or because root was disabled.</summary>
[EventName("elevation.expired.v1")]
public sealed record ElevationExpired(Guid GrantId, Guid OrgId, DateTimeOffset Deadline, ExpiryCause Cause, string Actor, DateTimeOffset At)
    : IElevationEvent
{
    public string Describe() => Cause == ExpiryCause.DeadlinePassed
        ? $"root elevation request expired: no decision by {Deadline:O}"
        : "root elevation request ended: root was disabled by policy";
}

/// <summary>
/// The end of an active grant, back to policy. Credentials issued before <paramref name="CredentialsInvalidBefore"/>
/// must not be honoured after it, whatever their own expiry says.
/// </summary>
[EventName("elevation.closed_out.v1")]
public sealed record ElevationClosedOut(
    Guid GrantId, Guid OrgId, Guid WorkspaceId, ElevationEnding How, DateTimeOffset CredentialsInvalidBefore, string Actor, DateTimeOffset At)
    : IElevationEvent
{
    public string Describe() => $"closed out root on workspace {WorkspaceId} ({How}); credentials issued before {CredentialsInvalidBefore:O} are void";
}
