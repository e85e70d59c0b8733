using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.Elevation;

/// <summary>
/// Decisions on a RootElevation stream. Every path ends in exactly one final event (denied, revoked before
/// activation, expired, or closed out); once a grant is final, a repeated end is a no-op and nothing reopens it.
/// </summary>
public static class ElevationDecider
{
    /// <summary>The stream's decisions as one value, for the API's and the activities' command paths.</summary>
    public static Decider<IElevationCommand, RootElevation> Decider { get; } = new(Decide, (state, e) => e is IElevationEvent typed ? RootElevation.Evolve(state, typed) : state);

    public const int MaxReasonLength = 500;
    public const int MaxTicketReferenceLength = 200;

    public static Decision Decide(IElevationCommand command, RootElevation? state) => command switch
    {
        RequestElevation c => Request(c, state),
        _ when state is null => ElevationRejections.NotFound,
        ApproveElevation c => Approve(c, state),
        DenyElevation c => Deny(c, state),
        ActivateElevation c => Activate(c, state),
        RevokeElevation c => Revoke(c, state),
        ExpirePendingElevation c => ExpirePending(c, state),
        CloseOutElevation c => CloseOut(c, state),
        EndElevationForDisabledPolicy c => EndForDisabledPolicy(c, state),
        AbandonActivation c => AbandonActivation(c, state),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown elevation command"),
    };

    private static Decision Request(RequestElevation c, RootElevation? state)
    {
        if (state is not null)
        {
            // A retried request (same grant id, same requester and workspace) changes nothing.
            return state.Requester == c.Actor && state.WorkspaceId == c.WorkspaceId ? Decision.None : ElevationRejections.AlreadyExists;
        }

        var refused = c.RequesterRole switch
        {
            null => OrganizationRejections.NotFound,
            var r when !r.Value.Can(Permission.UseWorkspaces) => OrganizationRejections.NotAllowed(Permission.UseWorkspaces),
            _ when !c.WorkspaceInOrg => ElevationRejections.WorkspaceNotFound,
            _ when !c.Policy.IsEnabled => ElevationRejections.PolicyDisabled,
            _ when c.Mode != c.Policy.Mode => ElevationRejections.ModeNotAllowed(c.Mode, c.Policy.Mode),
            _ when c.Window < RootPolicy.MinimumWindow => ElevationRejections.WindowTooShort,
            _ when c.Window > c.Policy.MaximumWindow => ElevationRejections.WindowExceedsPolicy(c.Policy.MaximumWindow),
            _ => ReasonProblem(c.Reason) ?? TicketProblem(c.TicketReference, c.Policy.TicketReferenceRequired),
        };
        if (refused is not null)
        {
            return refused;
        }

        var ticket = string.IsNullOrWhiteSpace(c.TicketReference) ? null : c.TicketReference.Trim();
        return Decision.Accept(new ElevationRequested(
            c.GrantId, c.OrgId, c.WorkspaceId, c.Actor, c.Reason.Trim(), ticket, c.Mode, c.Window, c.Policy.ApprovalsRequired,
            c.Now + c.Policy.PendingDeadline, c.Actor, c.Now));
    }

    private static Decision Approve(ApproveElevation c, RootElevation state)
    {
        if (MayNotDecide(state, c.OrgId, c.ApproverRole, c.Actor) is { } refused)
        {
            return refused;
        }

        // SameApproverCountsOnce: a repeated approval (a retried signal) changes nothing, whatever window it names.
        if (state.Approvers.Contains(c.Actor))
        {
            return Decision.None;
        }

        if (state.Status != ElevationStatus.Pending)
        {
            return ElevationRejections.WrongState(state.Status, "approve");
        }

        if (c.Now > state.Deadline)
        {
            return ElevationRejections.DeadlinePassed;
        }

        // ApprovalNeverLengthensTheWindow: an approver may only shorten what was asked for (or approved so far).
        var window = c.Window ?? state.Window;
        if (window > state.Window)
        {
            return ElevationRejections.WindowCannotGrow(state.Window);
        }

        if (window < RootPolicy.MinimumWindow)
        {
            return ElevationRejections.WindowTooShort;
        }

        return Decision.Accept(new ElevationApproved(
            state.Id, state.OrgId, c.Actor, window, state.Approvers.Count + 1, state.ApprovalsRequired, c.Actor, c.Now));
    }

    private static Decision Deny(DenyElevation c, RootElevation state)
    {
        if (MayNotDecide(state, c.OrgId, c.ApproverRole, c.Actor) is { } refused)
        {
            return refused;
        }

        return state.Status switch
        {
            ElevationStatus.Denied => Decision.None,
            ElevationStatus.Pending when ReasonProblem(c.Reason) is { } bad => bad,
            ElevationStatus.Pending => Decision.Accept(new ElevationDenied(state.Id, state.OrgId, c.Actor, c.Reason.Trim(), c.Actor, c.Now)),
            _ => ElevationRejections.WrongState(state.Status, "deny"),
        };
    }

    /// <summary>WindowStartsAtActivation: the approved window runs from now, not from the request.</summary>
    private static Decision Activate(ActivateElevation c, RootElevation state) => state.Status switch
    {
        ElevationStatus.Approved => Decision.Accept(new ElevationActivated(state.Id, state.OrgId, state.WorkspaceId, c.Now, c.Now + state.Window, c.Actor, c.Now)),
        ElevationStatus.Active => Decision.None,
        ElevationStatus.Pending => ElevationRejections.NotApproved,
        _ => ElevationRejections.WrongState(state.Status, "activate"),
    };

    private static Decision Revoke(RevokeElevation c, RootElevation state)
    {
        if (c.OrgId != state.OrgId || c.ActorRole is null)
        {
            return ElevationRejections.NotFound;
        }

        if (c.Actor != state.Requester && !c.ActorRole.Value.Can(Permission.ApproveElevation))
        {
            return ElevationRejections.OnlyRequesterOrApproverRevokes;
        }

        if (state.IsFinal)
        {
            return Decision.None; // already ended: revoking again (or too late) changes nothing
        }

        if (ReasonProblem(c.Reason) is { } bad)
        {
            return bad;
        }

        if (state.RevokedBy is not null)
        {
            return Decision.None; // an active grant already revoked: its closeout is on its way
        }

        // An active grant stays active until the closeout activity has taken root away on the host and recorded it.
        return Decision.Accept(new ElevationRevoked(state.Id, state.OrgId, c.Actor, c.Reason.Trim(), c.Actor, c.Now));
    }

    private static Decision ExpirePending(ExpirePendingElevation c, RootElevation state) => state.Status switch
    {
        _ when state.IsFinal => Decision.None,
        ElevationStatus.Pending when c.Now < state.Deadline => ElevationRejections.NotYetDue("expire the request", state.Deadline),
        ElevationStatus.Pending => Decision.Accept(new ElevationExpired(state.Id, state.OrgId, state.Deadline, ExpiryCause.DeadlinePassed, c.Actor, c.Now)),
        _ => ElevationRejections.WrongState(state.Status, "expire"),
    };

    private static Decision CloseOut(CloseOutElevation c, RootElevation state) => state.Status switch
    {
        _ when state.IsFinal => Decision.None,
        ElevationStatus.Active when state.RevokedBy is not null => Decision.Accept(ClosedOut(state, ElevationEnding.Revoked, c.Actor, c.Now)),
        ElevationStatus.Active when c.Now < state.ExpiresAt => ElevationRejections.NotYetDue("close out the grant", state.ExpiresAt!.Value),
        ElevationStatus.Active => Decision.Accept(ClosedOut(state, ElevationEnding.Expired, c.Actor, c.Now)),
        _ => ElevationRejections.WrongState(state.Status, "close out"),
    };

    private static Decision EndForDisabledPolicy(EndElevationForDisabledPolicy c, RootElevation state) => state.Status switch
    {
        _ when state.IsFinal => Decision.None,
        ElevationStatus.Active => Decision.Accept(ClosedOut(state, ElevationEnding.PolicyDisabled, c.Actor, c.Now)),
        _ => Decision.Accept(new ElevationExpired(state.Id, state.OrgId, state.Deadline, ExpiryCause.PolicyDisabled, c.Actor, c.Now)),
    };

    private static Decision AbandonActivation(AbandonActivation c, RootElevation state) => state.Status switch
    {
        _ when state.IsFinal => Decision.None,
        ElevationStatus.Approved => Decision.Accept(ClosedOut(state, ElevationEnding.ActivationFailed, c.Actor, c.Now)),
        _ => ElevationRejections.WrongState(state.Status, "abandon the activation of"),
    };

    /// <summary>Credentials issued up to the closeout are void from now on, even if issued before the window's end.</summary>
    private static ElevationClosedOut ClosedOut(RootElevation state, ElevationEnding how, string actor, DateTimeOffset now) =>
        new(state.Id, state.OrgId, state.WorkspaceId, how, now, actor, now);

    /// <summary>RequesterCannotApprove: nobody decides on their own request; only roles that may approve decide.</summary>
    private static Rejection? MayNotDecide(RootElevation state, Guid orgId, Role? role, string actor) => role switch
    {
        _ when orgId != state.OrgId => ElevationRejections.NotFound,
        null => ElevationRejections.NotFound,
        var r when !r.Value.Can(Permission.ApproveElevation) => OrganizationRejections.NotAllowed(Permission.ApproveElevation),
        _ when actor == state.Requester => ElevationRejections.RequesterCannotApprove,
        _ => null,
    };

    private static Rejection? ReasonProblem(string? reason) => reason switch
    {
        _ when string.IsNullOrWhiteSpace(reason) => ElevationRejections.ReasonRequired,
        { Length: > MaxReasonLength } => ElevationRejections.ReasonTooLong,
        _ => null,
    };

    private static Rejection? TicketProblem(string? ticket, bool required) => ticket switch
    {
        _ when required && string.IsNullOrWhiteSpace(ticket) => ElevationRejections.TicketReferenceRequired,
        { Length: > MaxTicketReferenceLength } => ElevationRejections.TicketReferenceTooLong,
        _ => null,
    };
}

public static class ElevationRejections
{
    public static readonly Rejection NotFound = new("elevation.not_found", "The elevation request does not exist.", RejectionKind.NotFound);

    public static readonly Rejection AlreadyExists = new("elevation.already_exists", "An elevation request with this id already exists.", RejectionKind.Conflict);

    public static readonly Rejection WorkspaceNotFound = new(
        "elevation.workspace_not_found", "The workspace does not exist in this organization.", RejectionKind.NotFound);

    public static readonly Rejection PolicyDisabled = new(
        "elevation.policy_disabled", "Root elevation is disabled by the organization's policy.", RejectionKind.Conflict);

    public static readonly Rejection WindowTooShort = new(
        "elevation.window_too_short", $"The window must be at least {RootPolicy.MinimumWindow.TotalMinutes:0} minutes.", RejectionKind.Unprocessable);

    public static readonly Rejection ReasonRequired = new("elevation.reason_required", "A reason is required.", RejectionKind.Unprocessable);

    public static readonly Rejection ReasonTooLong = new(
        "elevation.reason_too_long", $"The reason must be at most {ElevationDecider.MaxReasonLength} characters.", RejectionKind.Unprocessable);

    public static readonly Rejection TicketReferenceRequired = new(
        "elevation.ticket_reference_required", "The organization's policy requires a ticket reference.", RejectionKind.Unprocessable);

    public static readonly Rejection TicketReferenceTooLong = new(
        "elevation.ticket_reference_too_long",
        $"The ticket reference must be at most {ElevationDecider.MaxTicketReferenceLength} characters.",
        RejectionKind.Unprocessable);

    public static readonly Rejection RequesterCannotApprove = new(
        "elevation.requester_cannot_approve", "Nobody may approve or deny their own elevation request.", RejectionKind.Forbidden);

    public static readonly Rejection OnlyRequesterOrApproverRevokes = new(
        "elevation.not_allowed_to_revoke", "Only the requester, an Admin or an Owner may revoke an elevation.", RejectionKind.Forbidden);

    public static readonly Rejection DeadlinePassed = new(
        "elevation.deadline_passed", "The request's decision deadline has passed.", RejectionKind.Conflict);

    public static readonly Rejection NotApproved = new(
        "elevation.not_approved", "The request does not have all the approvals it needs yet.", RejectionKind.Conflict);

    public static Rejection ModeNotAllowed(RootMode requested, RootMode allowed) => new(
        "elevation.mode_not_allowed", $"The organization's policy allows {allowed}, not {requested}.", RejectionKind.Unprocessable);

    public static Rejection WindowExceedsPolicy(TimeSpan maximum) => new(
        "elevation.window_exceeds_policy", $"The window exceeds the policy's maximum of {maximum.TotalMinutes:0} minutes.", RejectionKind.Unprocessable);

    public static Rejection WindowCannotGrow(TimeSpan current) => new(
        "elevation.window_cannot_grow", $"An approval may shorten the window ({current.TotalMinutes:0} minutes), never lengthen it.", RejectionKind.Unprocessable);

    public static Rejection WrongState(ElevationStatus status, string action) =>
        new("elevation.wrong_state", $"Cannot {action} an elevation that is {status}.", RejectionKind.Conflict);

    public static Rejection NotYetDue(string action, DateTimeOffset due) =>
        new("elevation.not_yet_due", $"Too early to {action}: it is due at {due:O}.", RejectionKind.Conflict);
}
