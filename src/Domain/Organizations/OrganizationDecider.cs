using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;

namespace EnvForge.Domain.Organizations;

/// <summary>Decisions on an Organization stream: pure functions of the command and the current state.</summary>
public static class OrganizationDecider
{
    /// <summary>The stream's decisions as one value, for the API's and the activities' command paths.</summary>
    public static Decider<IOrganizationCommand, Organization> Decider { get; } = new(Decide, (state, e) => e is IOrganizationEvent typed ? Organization.Evolve(state, typed) : state);

    public static Decision Decide(IOrganizationCommand command, Organization? state) => command switch
    {
        RegisterOrganization c => Register(c, state),
        _ when state is null => OrganizationRejections.NotFound,
        AddMember c => Add(c),
        ChangeMemberRole c => ChangeRole(c, state),
        RemoveMember c => Remove(c, state),
        ConnectAws c => Connect(c),
        DisconnectAws c => Disconnect(c, state),
        SetWorkspacePolicy c => SetPolicy(c, state),
        SetRootPolicy c => RootPolicyDecider.Decide(c, state.RootPolicy),
        DevLinks.SetDevLinkPolicy c => DevLinks.DevLinkPolicyDecider.Decide(c, state),
        Secrets.SetOrgSecret c => Secrets.OrgSecretDecider.Decide(c),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown organization command"),
    };

    private static Decision Register(RegisterOrganization c, Organization? state)
    {
        if (state is not null)
        {
            // A retried registration of the same org by the same caller changes nothing.
            return c.Memberships.Actor?.Role == Role.Owner && state.Name == c.Name
                ? Decision.None
                : OrganizationRejections.AlreadyExists;
        }

        return Decision.Accept(
            new OrganizationRegistered(c.OrgId, c.Name, c.ExternalId, c.Actor, c.Now),
            new MemberAdded(c.OrgId, c.Actor, c.ActorDisplayName, Role.Owner, c.Actor, c.Now));
    }

    private static Decision Add(AddMember c)
    {
        if (MayNotManage(c.Memberships, c.Role) is { } refused)
        {
            return refused;
        }

        return c.Memberships.Member is { } existing
            ? existing.Role == c.Role ? Decision.None : OrganizationRejections.AlreadyMember(c.UserId)
            : Decision.Accept(new MemberAdded(c.OrgId, c.UserId, c.DisplayName, c.Role, c.Actor, c.Now));
    }

    private static Decision ChangeRole(ChangeMemberRole c, Organization state)
    {
        if (c.Memberships.Member?.Role is not { } current)
        {
            return OrganizationRejections.UnknownMember(c.UserId);
        }

        if (current == c.Role)
        {
            return Decision.None;
        }

        // Touching an owner, or making one, is an owner's decision.
        if (MayNotManage(c.Memberships, current == Role.Owner ? Role.Owner : c.Role) is { } refused)
        {
            return refused;
        }

        if (current == Role.Owner && state.OwnerCount == 1)
        {
            return OrganizationRejections.LastOwner;
        }

        return Decision.Accept(new MemberRoleChanged(c.OrgId, c.UserId, current, c.Role, c.Actor, c.Now));
    }

    private static Decision Remove(RemoveMember c, Organization state)
    {
        if (c.Memberships.Member?.Role is not { } current)
        {
            return OrganizationRejections.UnknownMember(c.UserId);
        }

        if (MayNotManage(c.Memberships, current) is { } refused)
        {
            return refused;
        }

        return current == Role.Owner && state.OwnerCount == 1
            ? OrganizationRejections.LastOwner
            : Decision.Accept(new MemberRemoved(c.OrgId, c.UserId, current, c.Actor, c.Now));
    }

    private static Decision Connect(ConnectAws c) =>
        MayNotSetPolicy(c.Memberships) ?? (Decision)Decision.Accept(new AwsAccountConnected(c.OrgId, c.RoleArn, c.AccountHint, c.Actor, c.Now));

    private static Decision Disconnect(DisconnectAws c, Organization state) => MayNotSetPolicy(c.Memberships) switch
    {
        { } refused => refused,
        _ when state.Aws is null => Decision.None,
        _ => Decision.Accept(new AwsAccountDisconnected(c.OrgId, state.Aws.AccountHint, c.Actor, c.Now)),
    };

    private static Decision SetPolicy(SetWorkspacePolicy c, Organization state) => MayNotSetPolicy(c.Memberships) switch
    {
        { } refused => refused,
        _ when c.IdleTimeoutMinutes is < 5 or > 24 * 60 => OrganizationRejections.IdleTimeoutOutOfRange,
        _ when c.IdleTimeoutMinutes == state.IdleTimeoutMinutes => Decision.None,
        _ => Decision.Accept(new WorkspacePolicyChanged(c.OrgId, c.IdleTimeoutMinutes, c.Actor, c.Now)),
    };

    /// <summary>Policies (root, dev links, workspaces, AWS) are set by those with ManagePolicy; a non-member is told the org does not exist.</summary>
    public static Rejection? MayNotSetPolicy(Memberships memberships) => memberships.Actor?.Role switch
    {
        null => OrganizationRejections.NotFound,
        var r when !r.Value.Can(Permission.ManagePolicy) => OrganizationRejections.NotAllowed(Permission.ManagePolicy),
        _ => null,
    };

    /// <summary>OnlyOwnersManageOwners: admins manage everyone else; owners manage everyone.</summary>
    private static Rejection? MayNotManage(Memberships memberships, Role targetRole) => memberships.Actor?.Role switch
    {
        null => OrganizationRejections.NotFound,
        var r when !r.Value.Can(Permission.ManageMembers) => OrganizationRejections.NotAllowed(Permission.ManageMembers),
        var r when targetRole == Role.Owner && !r.Value.Can(Permission.ManageOwners) => OrganizationRejections.NotAllowed(Permission.ManageOwners),
        _ => null,
    };
}

public static class OrganizationRejections
{
    public static readonly Rejection NotFound = new("organization.not_found", "The organization does not exist.", RejectionKind.NotFound);

    public static readonly Rejection AlreadyExists = new("organization.already_exists", "An organization with this id already exists.", RejectionKind.Conflict);

    public static readonly Rejection LastOwner = new(
        "organization.last_owner", "An organization must keep at least one Owner; add another Owner first.", RejectionKind.Conflict);

    public static readonly Rejection IdleTimeoutOutOfRange = new(
        "organization.idle_timeout_out_of_range", "The idle timeout must be between 5 minutes and 24 hours.", RejectionKind.Unprocessable);

    public static Rejection AlreadyMember(string userId) => new(
        "organization.already_member", $"'{userId}' is already a member with another role; change their role instead.", RejectionKind.Conflict);

    public static Rejection UnknownMember(string userId) => new(
        "organization.unknown_member", $"'{userId}' is not a member of this organization.", RejectionKind.NotFound);

    public static Rejection NotAllowed(Permission permission) => new(
        "organization.not_allowed", $"Your role does not include the {permission} permission.", RejectionKind.Forbidden);
}
