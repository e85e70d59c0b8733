using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;

namespace EnvForge.Api.Elevation;

/// <param name="ClosingOut">Grants of the org that switching root off is ending now (each through its workflow).</param>
public sealed record RootPolicyResponse(
    RootMode Mode, double MaximumWindowMinutes, int ApprovalsRequired, double PendingDeadlineMinutes, bool TicketReferenceRequired, bool ReasonRequired,
    int? ClosingOut = null)
{
    public static RootPolicyResponse From(RootPolicy p, int? closingOut = null) => new(
        p.Mode, p.MaximumWindow.TotalMinutes, p.ApprovalsRequired, p.PendingDeadline.TotalMinutes, p.TicketReferenceRequired, RootPolicy.ReasonRequired, closingOut);
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
