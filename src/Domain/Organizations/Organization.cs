using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;

namespace EnvForge.Domain.Organizations;

public sealed record Membership(Role Role, string? DisplayName);

/// <summary>
/// The state of one Organization stream, rebuilt by <see cref="Evolve"/>: what its decisions need and nothing that grows
/// with the org. Members are counted here; each membership is a document of its own (the member directory), which a
/// command reads by key for the few members it touches (see <see cref="Memberships"/>).
/// </summary>
public sealed record Organization(Guid Id, string Name, string ExternalId)
{
    public const int DefaultIdleTimeoutMinutes = 30;

    public int MemberCount { get; init; }

    /// <summary>OneOwnerAtLeast is decided on this count.</summary>
    public int OwnerCount { get; init; }

    public AwsConnection? Aws { get; init; }

    public int IdleTimeoutMinutes { get; init; } = DefaultIdleTimeoutMinutes;

    public RootPolicy RootPolicy { get; init; } = RootPolicy.Default;

    public DevLinkPolicy DevLinkPolicy { get; init; } = DevLinkPolicy.Default;

    public static Organization? Evolve(Organization? state, IOrganizationEvent @event) => @event switch
    {
        OrganizationRegistered e => new Organization(e.OrgId, e.Name, e.ExternalId),
        MemberAdded e => state! with { MemberCount = state.MemberCount + 1, OwnerCount = state.OwnerCount + Owners(e.Role) },
        MemberRoleChanged e => state! with { OwnerCount = state.OwnerCount - Owners(e.From) + Owners(e.To) },
        MemberRemoved e => state! with { MemberCount = state.MemberCount - 1, OwnerCount = state.OwnerCount - Owners(e.Role) },
        AwsAccountConnected e => state! with { Aws = new AwsConnection(e.RoleArn, e.AccountHint, e.At) },
        AwsAccountDisconnected => state! with { Aws = null },
        WorkspacePolicyChanged e => state! with { IdleTimeoutMinutes = e.IdleTimeoutMinutes },
        RootPolicyChanged e => state! with { RootPolicy = e.Policy },
        DevLinkPolicyChanged e => state! with { DevLinkPolicy = e.Policy },
        _ => state,
    };

    private static int Owners(Role role) => role == Role.Owner ? 1 : 0;
}
