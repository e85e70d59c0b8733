using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;
using FluentValidation;

namespace EnvForge.Api.Elevation;

public sealed record RootPolicyRequest(string? Mode, int? MaximumWindowMinutes, int? ApprovalsRequired, int? PendingDeadlineMinutes, bool? TicketReferenceRequired)
{
    public sealed class Validator : AbstractValidator<RootPolicyRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Mode).NotEmpty().Must(ElevationRequestRules.IsMode).WithMessage(ElevationRequestRules.ModeMessage);
            RuleFor(r => r.MaximumWindowMinutes).NotNull();
            RuleFor(r => r.ApprovalsRequired).NotNull();
        }
    }

    public RootPolicy ToPolicy() => new(
        Enum.Parse<RootMode>(Mode!),
        TimeSpan.FromMinutes(MaximumWindowMinutes!.Value),
        ApprovalsRequired!.Value,
        PendingDeadlineMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : RootPolicy.DefaultPendingDeadline,
        TicketReferenceRequired ?? false);
}

/// <param name="ClosingOut">Grants of the org that switching root off is ending now (each through its workflow).</param>
public sealed record RootPolicyResponse(
    RootMode Mode, double MaximumWindowMinutes, int ApprovalsRequired, double PendingDeadlineMinutes, bool TicketReferenceRequired, bool ReasonRequired,
    int? ClosingOut = null)
{
    public static RootPolicyResponse From(RootPolicy p, int? closingOut = null) => new(
        p.Mode, p.MaximumWindow.TotalMinutes, p.ApprovalsRequired, p.PendingDeadline.TotalMinutes, p.TicketReferenceRequired, RootPolicy.ReasonRequired, closingOut);
}

public sealed record RequestElevationRequest(string? Mode, int? WindowMinutes, string? Reason, string? TicketReference)
{
    public sealed class Validator : AbstractValidator<RequestElevationRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Mode).NotEmpty().Must(ElevationRequestRules.IsMode).WithMessage(ElevationRequestRules.ModeMessage);
            RuleFor(r => r.WindowMinutes).NotNull().InclusiveBetween(1, (int)RootPolicy.WorkspaceElevationCeiling.TotalMinutes * 10);
            RuleFor(r => r.Reason).NotEmpty().MaximumLength(ElevationDecider.MaxReasonLength);
            RuleFor(r => r.TicketReference).MaximumLength(ElevationDecider.MaxTicketReferenceLength);
        }
    }
}

/// <param name="WindowMinutes">A shorter window than the one requested; omit to keep it.</param>
public sealed record ApproveElevationRequest(int? WindowMinutes)
{
    public sealed class Validator : AbstractValidator<ApproveElevationRequest>
    {
        public Validator() => RuleFor(r => r.WindowMinutes).InclusiveBetween(1, (int)RootPolicy.WorkspaceElevationCeiling.TotalMinutes);
    }
}

/// <summary>The body of deny and revoke: a reason is always required.</summary>
public sealed record ReasonRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<ReasonRequest>
    {
        public Validator() => RuleFor(r => r.Reason).NotEmpty().MaximumLength(ElevationDecider.MaxReasonLength);
    }
}

public sealed record ApprovalResponse(string Approver, double WindowMinutes, DateTimeOffset At);

/// <summary>
/// One grant. <paramref name="EndedAs"/> reads: Denied, Revoked (before activation), Expired (no decision),
/// ExpiredPolicyDisabled, ClosedOutExpired, ClosedOutRevoked, ClosedOutPolicyDisabled, ClosedOutActivationFailed.
/// <paramref name="Workflow"/> is the workflow's own view, when a Temporal server answered the query.
/// </summary>
public sealed record ElevationResponse(
    Guid Id, Guid OrgId, Guid WorkspaceId, string Requester, string Reason, string? TicketReference, RootMode Mode,
    ElevationStatus Status, double RequestedWindowMinutes, double WindowMinutes, int ApprovalsRequired, IReadOnlyList<ApprovalResponse> Approvals,
    DateTimeOffset RequestedAt, DateTimeOffset Deadline, DateTimeOffset? StartedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? EndedAt,
    string? EndedAs, string? DeniedBy, string? RevokedBy, string? EndReason, DateTimeOffset? CredentialsInvalidBefore, ElevationProgress? Workflow = null)
{
    public static ElevationResponse From(ElevationRecord r, ElevationProgress? workflow = null) => new(
        r.Id, r.OrgId, r.WorkspaceId, r.Requester, r.Reason, r.TicketReference, r.Mode, r.Status, r.RequestedWindow.TotalMinutes, r.Window.TotalMinutes,
        r.ApprovalsRequired, [.. r.Approvals.Select(a => new ApprovalResponse(a.Approver, a.Window.TotalMinutes, a.At))],
        r.RequestedAt, r.Deadline, r.StartedAt, r.ExpiresAt, r.EndedAt, EndedAsOf(r), r.DeniedBy, r.RevokedBy, r.EndReason, r.CredentialsInvalidBefore,
        workflow);

    private static string? EndedAsOf(ElevationRecord r) => r.Status switch
    {
        ElevationStatus.Denied => "Denied",
        ElevationStatus.Revoked => "Revoked",
        ElevationStatus.Expired => r.ExpiredBecause == ExpiryCause.PolicyDisabled ? "ExpiredPolicyDisabled" : "Expired",
        ElevationStatus.ClosedOut => $"ClosedOut{r.ClosedOutAs}",
        _ => null,
    };
}

public sealed record ElevationPage(IReadOnlyList<ElevationResponse> Items, string? NextCursor);

internal static class ElevationRequestRules
{
    public static readonly string ModeMessage = $"Mode must be one of: {string.Join(", ", Enum.GetNames<RootMode>())}.";

    public static bool IsMode(string? mode) => Infrastructure.EnumNames.IsName<RootMode>(mode);
}
