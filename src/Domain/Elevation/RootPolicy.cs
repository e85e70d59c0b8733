using EnvForge.Domain.Common;

namespace EnvForge.Domain.Elevation;

/// <summary>Whether and how an org's developers may get root on a workspace.</summary>
public enum RootMode
{
    /// <summary>No root for anyone: the default.</summary>
    Disabled,

    /// <summary>Emergency access: approval required, short window.</summary>
    BreakGlass,

    /// <summary>Planned root on one workspace: approval required, longer window.</summary>
    WorkspaceElevation,
}

/// <summary>
/// The org's root policy as a value. A grant copies what it needs (window, approvals, deadline) when it is
/// requested, so a later policy change never widens a grant already on its way.
/// </summary>
/// <param name="MaximumWindow">The longest window a request may ask for; at most the platform ceiling of the mode.</param>
/// <param name="ApprovalsRequired">1 or 2 distinct approvers, never the requester.</param>
/// <param name="PendingDeadline">How long a request waits for a decision before it expires.</param>
/// <param name="TicketReferenceRequired">Whether a request must name a ticket (change or incident) as well as a reason.</param>
public sealed record RootPolicy(
    RootMode Mode, TimeSpan MaximumWindow, int ApprovalsRequired, TimeSpan PendingDeadline, bool TicketReferenceRequired = false)
{
    public static readonly TimeSpan BreakGlassCeiling = TimeSpan.FromHours(1);
    public static readonly TimeSpan WorkspaceElevationCeiling = TimeSpan.FromHours(8);
    public static readonly TimeSpan MinimumWindow = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultPendingDeadline = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinimumPendingDeadline = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaximumPendingDeadline = TimeSpan.FromHours(24);

    /// <summary>What every org starts with: no root.</summary>
    public static RootPolicy Default { get; } = new(RootMode.Disabled, TimeSpan.Zero, 1, DefaultPendingDeadline);

    /// <summary>A reason is always required: it is what an auditor reads first. Not configurable on purpose.</summary>
    public const bool ReasonRequired = true;

    public bool IsEnabled => Mode != RootMode.Disabled;

    /// <summary>The platform's ceiling for a mode's window, whatever an org configures.</summary>
    public static TimeSpan Ceiling(RootMode mode) => mode switch
    {
        RootMode.BreakGlass => BreakGlassCeiling,
        RootMode.WorkspaceElevation => WorkspaceElevationCeiling,
        _ => TimeSpan.Zero,
    };

    /// <summary>Null when the policy is valid; otherwise the first rule it breaks.</summary>
    public Rejection? Validate() => this switch
    {
        _ when !Enum.IsDefined(Mode) => RootPolicyRejections.UnknownMode,
        _ when ApprovalsRequired is < 1 or > 2 => RootPolicyRejections.ApprovalsOutOfRange,
        _ when PendingDeadline < MinimumPendingDeadline || PendingDeadline > MaximumPendingDeadline => RootPolicyRejections.DeadlineOutOfRange,
        // A disabled policy may keep the window configured for when it is enabled again; it grants nothing.
        { Mode: RootMode.Disabled } when MaximumWindow < TimeSpan.Zero || MaximumWindow > WorkspaceElevationCeiling =>
            RootPolicyRejections.WindowOutOfRange(Mode),
        { IsEnabled: true } when MaximumWindow < MinimumWindow || MaximumWindow > Ceiling(Mode) => RootPolicyRejections.WindowOutOfRange(Mode),
        _ => null,
    };
}

public static class RootPolicyRejections
{
    public static readonly Rejection UnknownMode = new(
        "root_policy.unknown_mode", "The root mode must be Disabled, BreakGlass or WorkspaceElevation.", RejectionKind.Unprocessable);

    public static readonly Rejection ApprovalsOutOfRange = new(
        "root_policy.approvals_out_of_range", "Root elevation requires 1 or 2 approvals.", RejectionKind.Unprocessable);

    public static readonly Rejection DeadlineOutOfRange = new(
        "root_policy.deadline_out_of_range",
        $"The pending-request deadline must be between {RootPolicy.MinimumPendingDeadline.TotalMinutes:0} minutes and {RootPolicy.MaximumPendingDeadline.TotalHours:0} hours.",
        RejectionKind.Unprocessable);

    public static Rejection WindowOutOfRange(RootMode mode) => new(
        "root_policy.window_out_of_range",
        mode == RootMode.Disabled
            ? $"The maximum window must be between 0 and {RootPolicy.WorkspaceElevationCeiling.TotalHours:0} hours."
            : $"The maximum window for {mode} must be between {RootPolicy.MinimumWindow.TotalMinutes:0} minutes and {RootPolicy.Ceiling(mode).TotalMinutes:0} minutes.",
        RejectionKind.Unprocessable);
}
