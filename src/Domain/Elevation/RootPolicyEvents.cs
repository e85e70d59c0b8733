using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.Elevation;

/// <summary>The org's root policy changed; the whole new policy is recorded, so history reads without the previous event.</summary>
[EventName("organization.root_policy_changed.v1")]
public sealed record RootPolicyChanged(Guid OrgId, RootPolicy Policy, string Actor, DateTimeOffset At) : IOrganizationEvent
{
    public string Describe() => Policy.IsEnabled
        ? $"set root policy to {Policy.Mode}: window up to {Policy.MaximumWindow.TotalMinutes:0} min, {Policy.ApprovalsRequired} approval(s), "
            + $"decision within {Policy.PendingDeadline.TotalMinutes:0} min{(Policy.TicketReferenceRequired ? ", ticket required" : "")}"
        : "disabled root elevation";
}

public sealed record SetRootPolicy(Guid OrgId, RootPolicy Policy, string Actor, DateTimeOffset Now) : IOrganizationCommand
{
    public Memberships Memberships { get; init; } = Memberships.None;
}

/// <summary>The decision on <see cref="SetRootPolicy"/>, called from the Organization decider.</summary>
public static class RootPolicyDecider
{
    /// <param name="current">The org's policy now (<c>Organization.RootPolicy</c>).</param>
    public static Decision Decide(SetRootPolicy command, RootPolicy current) => OrganizationDecider.MayNotSetPolicy(command.Memberships) switch
    {
        { } refused => refused,
        _ when command.Policy.Validate() is { } invalid => invalid,
        _ when command.Policy == current => Decision.None,
        _ => Decision.Accept(new RootPolicyChanged(command.OrgId, command.Policy, command.Actor, command.Now)),
    };
}
