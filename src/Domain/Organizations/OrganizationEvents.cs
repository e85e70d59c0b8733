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

/// <summary>AWS connected: the role ARN only as ciphertext (see <see cref="EncryptedValue"/>).</summary>
[EventName("organization.aws_connected.v1")]
public sealed record AwsAccountConnected(Guid OrgId, EncryptedValue RoleArn, string AccountHint, string Actor, DateTimeOffset At)
    : IOrganizationEvent
{
    public string Describe() => $"connected AWS account {AccountHint}";
}

/// <summary>After this, nothing can assume the org's role until it is connected again.</summary>
[EventName("organization.aws_disconnected.v1")]
public sealed record AwsAccountDisconnected(Guid OrgId, string AccountHint, string Actor, DateTimeOffset At) : IOrganizationEvent
{
    public string Describe() => $"disconnected AWS account {AccountHint}";
}

[EventName("organization.workspace_policy_changed.v1")]
public sealed record WorkspacePolicyChanged(Guid OrgId, int IdleTimeoutMinutes, string Actor, DateTimeOffset At) : IOrganizationEvent
{
    public string Describe() => $"set workspace idle timeout to {IdleTimeoutMinutes} min";
}
