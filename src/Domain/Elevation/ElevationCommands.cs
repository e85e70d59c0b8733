using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.Elevation;

/// <summary>A command on one RootElevation stream. Whatever needs a lookup arrives as a value, so decisions stay pure.</summary>
public interface IElevationCommand
{
    Guid GrantId { get; }

    string Actor { get; }

    DateTimeOffset Now { get; }
}

/// <param name="GrantId"><c>Guid.CreateVersion7(now)</c>, chosen by the caller.</param>
/// <param name="Policy">The org's root policy now.</param>
/// <param name="WorkspaceInOrg">Whether the workspace exists and belongs to <paramref name="OrgId"/>.</param>
/// <param name="RequesterRole">The requester's role in the org, or null when they are not a member.</param>
public sealed record RequestElevation(
    Guid GrantId, Guid OrgId, Guid WorkspaceId, bool WorkspaceInOrg, Role? RequesterRole, RootPolicy Policy, RootMode Mode,
    TimeSpan Window, string Reason, string? TicketReference, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <param name="OrgId">The org the approver acts in; a grant of another org is not found.</param>
/// <param name="ApproverRole">The approver's role in that org, or null when they are not a member.</param>
/// <param name="Window">A shorter window than the one requested, or null to keep it.</param>
public sealed record ApproveElevation(Guid GrantId, Guid OrgId, Role? ApproverRole, TimeSpan? Window, string Actor, DateTimeOffset Now)
    : IElevationCommand;

public sealed record DenyElevation(Guid GrantId, Guid OrgId, Role? ApproverRole, string Reason, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>Root takes effect: sent by the workflow once the grant is fully approved.</summary>
public sealed record ActivateElevation(Guid GrantId, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>Take the grant back, pending or active: the requester, or anyone who may approve (Admin, Owner).</summary>
public sealed record RevokeElevation(Guid GrantId, Guid OrgId, Role? ActorRole, string Reason, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>The workflow's approval deadline fired with no decision.</summary>
public sealed record ExpirePendingElevation(Guid GrantId, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>The workflow's expiry timer fired: end the active grant.</summary>
public sealed record CloseOutElevation(Guid GrantId, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>The org's root policy was switched to Disabled: end the grant whatever its state.</summary>
public sealed record EndElevationForDisabledPolicy(Guid GrantId, string Actor, DateTimeOffset Now) : IElevationCommand;

/// <summary>Activation failed for good (the host never took the grant): end the approved grant with a closeout.</summary>
public sealed record AbandonActivation(Guid GrantId, string Actor, DateTimeOffset Now) : IElevationCommand;
