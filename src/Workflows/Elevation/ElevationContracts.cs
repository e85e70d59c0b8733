using EnvForge.Domain.Elevation;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Workflows.Elevation;

/// <summary>
/// Input of one grant's workflow. Workflow id: <c>elevation-{GrantId}</c>. Carries ids and the decision deadline only:
/// the terms (window, approvals) live on the stream, which every activity re-reads before it acts.
/// </summary>
public sealed record ElevationInput(Guid GrantId, Guid OrgId, Guid WorkspaceId, DateTime Deadline)
{
    public static string WorkflowId(Guid grantId) => $"elevation-{grantId}";
}

/// <summary>
/// Signal: an approval was recorded on the stream. <paramref name="Complete"/> when it was the last one needed.
/// The API records first (so concurrent decisions serialize on the stream version) and signals after.
/// </summary>
public sealed record ApprovalSignal(string Approver, bool Complete);

/// <summary>What an activity found (and left) on the stream.</summary>
/// <param name="Status">Null when the stream has no such grant: its request was never recorded, so there is nothing to end.</param>
/// <param name="ExpiresAt">For an active grant: when its window ends.</param>
public sealed record GrantState(ElevationStatus? Status, DateTime? ExpiresAt = null)
{
    public static GrantState Of(RootElevation? grant) => grant is null
        ? new GrantState(Status: null)
        : new GrantState(grant.Status, grant.ExpiresAt?.UtcDateTime);
}

public enum ElevationPhase
{
    AwaitingDecision,
    Activating,
    Active,
    ClosingOut,
    Ended,
}

/// <summary>The workflow's own view, answered by its query (the API shows it next to the stream's state).</summary>
public sealed record ElevationProgress(
    ElevationPhase Phase, IReadOnlyList<string> Approvers, DateTime Deadline, DateTime? ExpiresAt, string? RevokedBy, bool PolicyDisabled,
    ElevationStatus? EndedAs);

/// <summary>
/// Puts root on a workspace's host and takes it away. Both are idempotent: activities retry, and closeout may run for
/// a grant whose activation never reached the host.
/// </summary>
public interface IRootAccessHost
{
    Task GrantAsync(Workspace workspace, Guid grantId, DateTimeOffset expiresAt, CancellationToken ct);

    Task RevokeAsync(Workspace workspace, Guid grantId, CancellationToken ct);
}
