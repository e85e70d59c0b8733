using EnvForge.Domain.Organizations;

namespace EnvForge.Tests.Organizations;

/// <summary>The written matrix in the README, as a test: changing a role's powers must change this table on purpose.</summary>
public sealed class PermissionMatrixTests
{
    public static TheoryData<Role, Permission[]> Matrix => new()
    {
        { Role.Owner, Enum.GetValues<Permission>() },
        {
            Role.Admin,
            [
                Permission.ViewOrganization, Permission.ReadMembers, Permission.ManageMembers, Permission.ReadAudit, Permission.ManagePolicy,
                Permission.UseWorkspaces, Permission.ViewWorkspaces, Permission.ApproveElevation, Permission.ManageBilling, Permission.ViewBilling,
            ]
        },
        { Role.Developer, [Permission.ViewOrganization, Permission.UseWorkspaces, Permission.ViewWorkspaces] },
        { Role.Viewer, [Permission.ViewOrganization, Permission.ViewWorkspaces] },
        { Role.Support, [Permission.ViewOrganization, Permission.ReadMembers, Permission.ViewWorkspaces, Permission.ReadAudit, Permission.ViewBilling] },
        { Role.Auditor, [Permission.ViewOrganization, Permission.ReadMembers, Permission.ReadAudit, Permission.ViewBilling] },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Each_role_has_exactly_its_written_permissions(Role role, Permission[] expected) =>
        Assert.Equal(expected.Order(), Permissions.Of(role).Order());

    [Fact]
    public void Only_owners_manage_owners() =>
        Assert.Equal([Role.Owner], Enum.GetValues<Role>().Where(r => r.Can(Permission.ManageOwners)));
}
