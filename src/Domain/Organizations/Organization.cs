using System.Collections.Immutable;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;

namespace EnvForge.Domain.Organizations;

public sealed record Membership(Role Role, string? DisplayName);

/// <summary>The state of one Organization stream, rebuilt by <see cref="Evolve"/>.</summary>
public sealed record Organization(Guid Id, string Name, string ExternalId, ImmutableDictionary<string, Membership> Members)
{
    public const int DefaultIdleTimeoutMinutes = 30;

    public AwsConnection? Aws { get; init; }

    public int IdleTimeoutMinutes { get; init; } = DefaultIdleTimeoutMinutes;

    public RootPolicy RootPolicy { get; init; } = RootPolicy.Default;

    public DevLinkPolicy DevLinkPolicy { get; init; } = DevLinkPolicy.Default;

    public Role? RoleOf(string userId) => Members.TryGetValue(userId, out var m) ? m.Role : null;

    public int OwnerCount => Members.Values.Count(m => m.Role == Role.Owner);

    public static Organization? Evolve(Organization? state, IOrganizationEvent @event) => @event switch
    {
        OrganizationRegistered e => new Organization(e.OrgId, e.Name, e.ExternalId, ImmutableDictionary<string, Membership>.Empty),
        MemberAdded e => state! with { Members = state.Members.SetItem(e.UserId, new Membership(e.Role, e.DisplayName)) },
        MemberRoleChanged e => state! with { Members = state.Members.SetItem(e.UserId, state.Members[e.UserId] with { Role = e.To }) },
        MemberRemoved e => state! with { Members = state.Members.Remove(e.UserId) },
        AwsAccountConnected e => state! with { Aws = new AwsConnection(e.RoleArn, e.AccountHint, e.At) },
        AwsAccountDisconnected => state! with { Aws = null },
        WorkspacePolicyChanged e => state! with { IdleTimeoutMinutes = e.IdleTimeoutMinutes },
        RootPolicyChanged e => state! with { RootPolicy = e.Policy },
        DevLinkPolicyChanged e => state! with { DevLinkPolicy = e.Policy },
        _ => state,
    };
}
