using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;
using EnvForge.Tests.Organizations;

namespace EnvForge.Tests.Elevation;

public sealed class RootPolicyTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly RootPolicy BreakGlass = new(RootMode.BreakGlass, TimeSpan.FromHours(1), 1, TimeSpan.FromHours(1));
    private static readonly RootPolicy WorkspaceElevation = new(RootMode.WorkspaceElevation, TimeSpan.FromHours(8), 2, TimeSpan.FromHours(1), true);

    /// <summary>The org with its root policy beside it, as <c>Organization.RootPolicy</c> will hold it.</summary>
    private sealed record OrgWithPolicy(OrgState Org, RootPolicy Policy);

    private static OrgWithPolicy? Evolve(OrgWithPolicy? state, IOrganizationEvent @event) => @event switch
    {
        RootPolicyChanged e => state! with { Policy = e.Policy },
        _ => OrgSpecification.Evolve(state?.Org, @event) is { } org ? new OrgWithPolicy(org, state?.Policy ?? RootPolicy.Default) : null,
    };

    private static Decision Decide(IOrganizationCommand command, OrgWithPolicy? state) => command switch
    {
        SetRootPolicy c when state is not null => RootPolicyDecider.Decide(OrgSpecification.WithMemberships(c, state.Org.Members), state.Policy),
        _ => OrgSpecification.Decide(command, state?.Org),
    };

    private static DeciderSpecification<OrgWithPolicy, IOrganizationEvent, IOrganizationCommand> Spec() => new(Decide, Evolve);

    private static IOrganizationEvent[] Registered(params (string User, Role Role)[] others) =>
    [
        new OrganizationRegistered(Org, "Acme", "envforge-x", "alice", Now),
        new MemberAdded(Org, "alice", "Alice", Role.Owner, "alice", Now),
        .. others.Select(o => new MemberAdded(Org, o.User, null, o.Role, "alice", Now)),
    ];

    [Fact]
    public void The_default_policy_disables_root_with_a_one_hour_deadline()
    {
        Assert.Equal(RootMode.Disabled, RootPolicy.Default.Mode);
        Assert.False(RootPolicy.Default.IsEnabled);
        Assert.Equal(TimeSpan.FromHours(1), RootPolicy.Default.PendingDeadline);
        Assert.Equal(1, RootPolicy.Default.ApprovalsRequired);
        Assert.False(RootPolicy.Default.TicketReferenceRequired);
        Assert.Null(RootPolicy.Default.Validate());
    }

    [Fact]
    public void A_reason_is_always_required() => Assert.True(RootPolicy.ReasonRequired);

    [Fact]
    public void Break_glass_is_short_and_workspace_elevation_longer()
    {
        Assert.Equal(TimeSpan.FromHours(1), RootPolicy.Ceiling(RootMode.BreakGlass));
        Assert.Equal(TimeSpan.FromHours(8), RootPolicy.Ceiling(RootMode.WorkspaceElevation));
        Assert.Null(BreakGlass.Validate());
        Assert.Null(WorkspaceElevation.Validate());
    }

    [Theory]
    [InlineData(RootMode.BreakGlass, 61)]
    [InlineData(RootMode.WorkspaceElevation, 8 * 60 + 1)]
    [InlineData(RootMode.BreakGlass, 4)]
    [InlineData(RootMode.WorkspaceElevation, 0)]
    public void A_maximum_window_outside_the_platform_ceiling_is_invalid(RootMode mode, int minutes)
    {
        var rejection = (BreakGlass with { Mode = mode, MaximumWindow = TimeSpan.FromMinutes(minutes) }).Validate();
        Assert.Equal("root_policy.window_out_of_range", rejection?.Code);
        Assert.Equal(RejectionKind.Unprocessable, rejection?.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Approvals_required_are_one_or_two(int approvals) =>
        Assert.Equal("root_policy.approvals_out_of_range", (BreakGlass with { ApprovalsRequired = approvals }).Validate()?.Code);

    [Theory]
    [InlineData(4)]
    [InlineData(24 * 60 + 1)]
    public void The_pending_deadline_is_between_five_minutes_and_a_day(int minutes) =>
        Assert.Equal("root_policy.deadline_out_of_range", (BreakGlass with { PendingDeadline = TimeSpan.FromMinutes(minutes) }).Validate()?.Code);

    [Fact]
    public void An_unknown_mode_is_invalid() =>
        Assert.Equal("root_policy.unknown_mode", (BreakGlass with { Mode = (RootMode)42 }).Validate()?.Code);

    [Fact]
    public void A_disabled_policy_may_keep_its_configured_window() =>
        Assert.Null((WorkspaceElevation with { Mode = RootMode.Disabled }).Validate());

    [Fact]
    public void An_owner_sets_the_root_policy() =>
        Spec().Given(Registered()).When(new SetRootPolicy(Org, BreakGlass, "alice", Now))
            .Then(new RootPolicyChanged(Org, BreakGlass, "alice", Now));

    [Fact]
    public void An_admin_sets_the_root_policy() =>
        Spec().Given(Registered(("ada", Role.Admin))).When(new SetRootPolicy(Org, WorkspaceElevation, "ada", Now))
            .Then(new RootPolicyChanged(Org, WorkspaceElevation, "ada", Now));

    [Theory]
    [InlineData(Role.Developer)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void Roles_without_ManagePolicy_cannot_set_the_root_policy(Role role)
    {
        var rejection = Spec().Given(Registered(("eve", role))).When(new SetRootPolicy(Org, BreakGlass, "eve", Now))
            .ThenRejects("organization.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Fact]
    public void A_non_member_is_told_the_org_does_not_exist() =>
        Spec().Given(Registered()).When(new SetRootPolicy(Org, BreakGlass, "mallory", Now)).ThenRejects("organization.not_found");

    [Fact]
    public void An_invalid_policy_is_unprocessable_and_changes_nothing()
    {
        var rejection = Spec().Given(Registered())
            .When(new SetRootPolicy(Org, BreakGlass with { MaximumWindow = TimeSpan.FromHours(2) }, "alice", Now))
            .ThenRejects("root_policy.window_out_of_range");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
    }

    [Fact]
    public void Setting_the_same_policy_again_changes_nothing()
    {
        Spec().Given([.. Registered(), new RootPolicyChanged(Org, BreakGlass, "alice", Now)])
            .When(new SetRootPolicy(Org, BreakGlass with { }, "alice", Now)).ThenNothing();
        Spec().Given(Registered()).When(new SetRootPolicy(Org, RootPolicy.Default, "alice", Now)).ThenNothing();
    }

    [Fact]
    public void Switching_root_off_again_is_recorded() =>
        Spec().Given([.. Registered(), new RootPolicyChanged(Org, BreakGlass, "alice", Now)])
            .When(new SetRootPolicy(Org, RootPolicy.Default, "alice", Now))
            .Then(new RootPolicyChanged(Org, RootPolicy.Default, "alice", Now));

    [Fact]
    public void The_policy_change_reads_plainly_in_the_audit_trail()
    {
        Assert.Equal(
            "set root policy to WorkspaceElevation: window up to 480 min, 2 approval(s), decision within 60 min, ticket required",
            new RootPolicyChanged(Org, WorkspaceElevation, "alice", Now).Describe());
        Assert.Equal("disabled root elevation", new RootPolicyChanged(Org, RootPolicy.Default, "alice", Now).Describe());
    }
}
