using EnvForge.Domain.Common;

namespace EnvForge.Domain.Organizations;

/// <summary>The closed family of events on an Organization stream.</summary>
public interface IOrganizationEvent : IDomainEvent;

/// <summary>
/// An organization came into being. <paramref name="ExternalId"/> is the sts:ExternalId the customer's AWS role
/// trust policy will require; it is generated once, here, and never changes.
/// </summary>
[EventName("organization.registered.v1")]
public sealed record OrganizationRegistered(Guid OrgId, string Name, string ExternalId, string Actor, DateTimeOffset At)
    : IOrganizationEvent
{
    public string Describe() => $"registered organization '{Name}'";
}

[EventName("organization.member_added.v1")]
public sealed record MemberAdded(Guid OrgId, string UserId, string? DisplayName, Role Role, string Actor, DateTimeOffset At)
    : IOrganizationEvent
{
    public string Describe() => $"added {UserId} as {Role}";
}

[EventName("organization.member_role_changed.v1")]
public sealed record MemberRoleChanged(Guid OrgId, string UserId, Role From, Role To, string Actor, DateTimeOffset At)
    : IOrganizationEvent
{
    public string Describe() => $"changed {UserId} from {From} to {To}";
}

[EventName("organization.member_removed.v1")]
public sealed record MemberRemoved(Guid OrgId, string UserId, Role Role, string Actor, DateTimeOffset At)
    : IOrganizationEvent
{
    public string Describe() => $"removed {UserId} (was {Role})";
}
