using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Organizations;

public sealed class OrganizationDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static DeciderSpecification<OrgState, IOrganizationEvent, IOrganizationCommand> Spec() => OrgSpecification.Spec();

    private static IOrganizationEvent[] Registered(string owner = "alice") =>
    [
        new OrganizationRegistered(Org, "Acme", "envforge-x", owner, Now),
        new MemberAdded(Org, owner, "Alice", Role.Owner, owner, Now),
    ];

    private static MemberAdded Added(string user, Role role, string by = "alice") => new(Org, user, null, role, by, Now);

    [Fact]
    public void Registering_makes_the_caller_the_first_owner() =>
        Spec().When(new RegisterOrganization(Org, "Acme", "envforge-x", "alice", "Alice", Now))
            .Then(Registered());

    [Fact]
    public void Registering_an_existing_org_again_changes_nothing() =>
        Spec().Given(Registered()).When(new RegisterOrganization(Org, "Acme", "envforge-y", "alice", "Alice", Now)).ThenNothing();

    [Fact]
    public void Registering_over_someone_elses_org_is_refused() =>
        Spec().Given(Registered()).When(new RegisterOrganization(Org, "Acme", "envforge-y", "mallory", null, Now))
            .ThenRejects("organization.already_exists");

    [Fact]
    public void Owner_adds_a_member() =>
        Spec().Given(Registered()).When(new AddMember(Org, "bob", "Bob", Role.Developer, "alice", Now))
            .Then(new MemberAdded(Org, "bob", "Bob", Role.Developer, "alice", Now));

    [Fact]
    public void Adding_the_same_member_with_the_same_role_again_changes_nothing() =>
        Spec().Given([.. Registered(), Added("bob", Role.Developer)]).When(new AddMember(Org, "bob", null, Role.Developer, "alice", Now))
            .ThenNothing();

    [Fact]
    public void Adding_an_existing_member_with_another_role_is_a_conflict() =>
        Spec().Given([.. Registered(), Added("bob", Role.Developer)]).When(new AddMember(Org, "bob", null, Role.Admin, "alice", Now))
            .ThenRejects("organization.already_member");

    [Fact]
    public void Admin_adds_non_owners_but_cannot_grant_owner()
    {
        var given = Registered().Append(Added("ada", Role.Admin)).ToArray();
        Spec().Given(given).When(new AddMember(Org, "bob", null, Role.Admin, "ada", Now))
            .Then(new MemberAdded(Org, "bob", null, Role.Admin, "ada", Now));
        Spec().Given(given).When(new AddMember(Org, "bob", null, Role.Owner, "ada", Now))
            .ThenRejects("organization.not_allowed");
    }

    [Fact]
    public void Admin_cannot_demote_or_remove_an_owner()
    {
        var given = Registered().Append(Added("ada", Role.Admin)).ToArray();
        Spec().Given(given).When(new ChangeMemberRole(Org, "alice", Role.Viewer, "ada", Now)).ThenRejects("organization.not_allowed");
        Spec().Given(given).When(new RemoveMember(Org, "alice", "ada", Now)).ThenRejects("organization.not_allowed");
    }

    [Theory]
    [InlineData(Role.Developer)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void Roles_without_ManageMembers_cannot_add_members(Role role) =>
        Spec().Given([.. Registered(), Added("eve", role)]).When(new AddMember(Org, "bob", null, Role.Viewer, "eve", Now))
            .ThenRejects("organization.not_allowed");

    [Fact]
    public void A_non_member_is_told_the_org_does_not_exist() =>
        Spec().Given(Registered()).When(new AddMember(Org, "bob", null, Role.Viewer, "mallory", Now))
            .ThenRejects("organization.not_found");

    [Fact]
    public void Commands_on_an_unknown_org_are_not_found() =>
        Spec().When(new RemoveMember(Org, "bob", "alice", Now)).ThenRejects("organization.not_found");

    [Fact]
    public void Changing_a_role_records_from_and_to() =>
        Spec().Given([.. Registered(), Added("bob", Role.Developer)]).When(new ChangeMemberRole(Org, "bob", Role.Admin, "alice", Now))
            .Then(new MemberRoleChanged(Org, "bob", Role.Developer, Role.Admin, "alice", Now));

    [Fact]
    public void Changing_to_the_current_role_changes_nothing() =>
        Spec().Given([.. Registered(), Added("bob", Role.Developer)]).When(new ChangeMemberRole(Org, "bob", Role.Developer, "alice", Now))
            .ThenNothing();

    [Fact]
    public void Changing_an_unknown_members_role_is_not_found() =>
        Spec().Given(Registered()).When(new ChangeMemberRole(Org, "ghost", Role.Admin, "alice", Now))
            .ThenRejects("organization.unknown_member");

    [Fact]
    public void The_last_owner_cannot_be_demoted() =>
        Spec().Given(Registered()).When(new ChangeMemberRole(Org, "alice", Role.Admin, "alice", Now))
            .ThenRejects("organization.last_owner");

    [Fact]
    public void The_last_owner_cannot_be_removed() =>
        Spec().Given(Registered()).When(new RemoveMember(Org, "alice", "alice", Now))
            .ThenRejects("organization.last_owner");

    [Fact]
    public void An_owner_can_step_down_once_another_owner_exists() =>
        Spec().Given([.. Registered(), Added("olga", Role.Owner)]).When(new RemoveMember(Org, "alice", "alice", Now))
            .Then(new MemberRemoved(Org, "alice", Role.Owner, "alice", Now));

    [Fact]
    public void Removing_an_unknown_member_is_not_found() =>
        Spec().Given(Registered()).When(new RemoveMember(Org, "ghost", "alice", Now))
            .ThenRejects("organization.unknown_member");

    [Fact]
    public void Refusals_never_carry_events()
    {
        var decision = OrgSpecification.Decide(new RemoveMember(Org, "alice", "alice", Now), OrgSpecification.Fold(Registered()));
        Assert.True(decision.IsRejected);
        Assert.Equal(RejectionKind.Conflict, decision.Rejection!.Kind);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void External_ids_are_long_random_and_distinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => ExternalIds.New()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.All(ids, id => Assert.Matches("^envforge-[0-9a-f]{40}$", id));
    }
}
