using System.Collections.Frozen;

namespace EnvForge.Domain.Organizations;

/// <summary>A member's role in one organization. Roles are EnvForge's own, never taken from the identity provider.</summary>
public enum Role
{
    Owner,
    Admin,
    Developer,
    Viewer,
    Support,
    Auditor,
}

/// <summary>What a role may do in its organization. The matrix below is the single source of truth (see README).</summary>
public enum Permission
{
    /// <summary>See the organization and its own membership.</summary>
    ViewOrganization,

    /// <summary>List members (the members read model).</summary>
    ReadMembers,

    /// <summary>Add, re-role and remove non-owner members.</summary>
    ManageMembers,

    /// <summary>Grant, change or remove the Owner role.</summary>
    ManageOwners,

    /// <summary>Query the audit trail.</summary>
    ReadAudit,

    /// <summary>Change org policies (root elevation, dev links), connect and disconnect AWS.</summary>
    ManagePolicy,

    /// <summary>Create, wake and destroy workspaces; issue dev links; request root elevation.</summary>
    UseWorkspaces,

    /// <summary>See workspaces and their state.</summary>
    ViewWorkspaces,

    /// <summary>Approve or deny root elevation requested by someone else.</summary>
    ApproveElevation,

    /// <summary>Top up the wallet and see billing.</summary>
    ManageBilling,

    /// <summary>See the wallet: balance, ledger, top-ups and usage receipts.</summary>
    ViewBilling,

    /// <summary>Set the org's runtime rate and refund top-ups.</summary>
    ManageBillingTerms,
}

public static class Permissions
{
    private static readonly FrozenDictionary<Role, FrozenSet<Permission>> Matrix = new Dictionary<Role, HashSet<Permission>>
    {
        [Role.Owner] = [.. Enum.GetValues<Permission>()],
        [Role.Admin] = new()
        {
            Permission.ViewOrganization, Permission.ReadMembers, Permission.ManageMembers, Permission.ReadAudit,
            Permission.ManagePolicy, Permission.UseWorkspaces, Permission.ViewWorkspaces, Permission.ApproveElevation,
            Permission.ManageBilling, Permission.ViewBilling,
        },
        [Role.Developer] = new()
        {
            Permission.ViewOrganization, Permission.UseWorkspaces, Permission.ViewWorkspaces,
        },
        [Role.Viewer] = new() { Permission.ViewOrganization, Permission.ViewWorkspaces },
        [Role.Support] = new()
        {
            Permission.ViewOrganization, Permission.ReadMembers, Permission.ViewWorkspaces, Permission.ReadAudit, Permission.ViewBilling,
        },
        [Role.Auditor] = new()
        {
            Permission.ViewOrganization, Permission.ReadMembers, Permission.ReadAudit, Permission.ViewBilling,
        },
    }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet());

    public static bool Can(this Role role, Permission permission) => Matrix[role].Contains(permission);

    public static IReadOnlySet<Permission> Of(Role role) => Matrix[role];
}
