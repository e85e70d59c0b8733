using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// Dev link decisions as specifications: issue within the org's policy, first use once per token generation, rotate,
/// change surfaces, revoke and expire. An ended link stays ended whatever comes after.
/// </summary>
public sealed class DevLinkDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly Guid OtherOrg = Guid.CreateVersion7();
    private static readonly Guid Ws = Guid.CreateVersion7();
    private static readonly Guid Link = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private static readonly DevLinkSurface[] WebAndApi = [DevLinkSurface.Web, DevLinkSurface.Api];
    private const string Hash1 = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string Hash2 = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Hash3 = "3333333333333333333333333333333333333333333333333333333333333333";

    private static DeciderSpecification<DevLink, IDevLinkEvent, IDevLinkCommand> Spec() => new(DevLinkDecider.Decide, DevLink.Evolve);

    private static DateTimeOffset At(TimeSpan after) => Now + after;

    private static IssueDevLink Issue(
        TimeSpan? expiry = null, IReadOnlyList<DevLinkSurface>? surfaces = null, DevLinkPolicy? policy = null, Role? role = Role.Developer,
        bool inOrg = true, bool serviceDeclared = true, string by = "dev", string service = "web", ServiceKind kind = ServiceKind.App) =>
        new(Link, Org, Ws, service, inOrg, serviceDeclared, role, policy ?? DevLinkPolicy.Default, expiry, surfaces ?? WebAndApi, "k1", Hash1, by, Now)
        {
            ServiceKind = kind,
        };

    private static DevLinkIssued Issued(TimeSpan? expiry = null, IReadOnlyList<DevLinkSurface>? surfaces = null, string by = "dev") =>
        new(Link, Org, Ws, "web", by, Now + (expiry ?? Day), surfaces ?? WebAndApi, "k1", Hash1, by, Now);

    private static DevLinkRotated Rotated(int generation = 2, string hash = Hash2, string by = "dev", int minutes = 10) =>
        new(Link, Org, generation, "k2", hash, by, At(TimeSpan.FromMinutes(minutes)));

    private static DevLinkRevoked Revoked(string by = "dev", string? reason = null, int minutes = 20) =>
        new(Link, Org, reason, by, At(TimeSpan.FromMinutes(minutes)));

    private static DevLinkExpired Expired() => new(Link, Org, Now + Day, "system:dev-links", Now + Day);

    private static RotateDevLink Rotate(string by = "dev", Role? role = Role.Developer, string hash = Hash2, Guid? org = null, int minutes = 10) =>
        new(Link, org ?? Org, role, "k2", hash, by, At(TimeSpan.FromMinutes(minutes)));

    private static ChangeDevLinkSurfaces ChangeSurfaces(IReadOnlyList<DevLinkSurface> surfaces, string by = "dev", Role? role = Role.Developer, Guid? org = null) =>
        new(Link, org ?? Org, role, surfaces, by, At(TimeSpan.FromMinutes(15)));

    private static RevokeDevLink Revoke(string by = "dev", Role? role = Role.Developer, string? reason = null, Guid? org = null) =>
        new(Link, org ?? Org, role, reason, by, At(TimeSpan.FromMinutes(20)));

    private static RecordDevLinkUse Use(int generation = 1, int minutes = 5) => new(Link, generation, "gateway", At(TimeSpan.FromMinutes(minutes)));

    private static DevLinkFirstUsed FirstUsed(int generation = 1, int minutes = 5) => new(Link, Org, generation, "gateway", At(TimeSpan.FromMinutes(minutes)));

    private static ExpireDevLink Expire(TimeSpan at) => new(Link, "system:dev-links", Now + at);

    // --- issue ---

    [Fact]
    public void A_developer_issues_a_link_within_the_policy() =>
        Spec().When(Issue(expiry: TimeSpan.FromHours(2))).Then(Issued(expiry: TimeSpan.FromHours(2)));

    [Fact]
    public void Without_an_expiry_the_link_lives_for_the_policy_default()
    {
        Spec().When(Issue()).Then(Issued(expiry: Day));
        var policy = new DevLinkPolicy(TimeSpan.FromHours(3), Week);
        Spec().When(Issue(policy: policy)).Then(Issued(expiry: TimeSpan.FromHours(3)));
    }

    [Fact]
    public void An_expiry_beyond_the_policy_maximum_is_unprocessable()
    {
        var policy = new DevLinkPolicy(TimeSpan.FromHours(1), TimeSpan.FromHours(8));
        var rejection = Spec().When(Issue(policy: policy, expiry: TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1))).ThenRejects("dev_link.expiry_exceeds_policy");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Spec().When(Issue(policy: policy, expiry: TimeSpan.FromHours(8))).Then(Issued(expiry: TimeSpan.FromHours(8)));
    }

    [Fact]
    public void An_expiry_below_five_minutes_is_too_short()
    {
        var rejection = Spec().When(Issue(expiry: TimeSpan.FromMinutes(4))).ThenRejects("dev_link.expiry_too_short");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Spec().When(Issue(expiry: DevLinkPolicy.MinimumExpiry)).Then(Issued(expiry: DevLinkPolicy.MinimumExpiry));
    }

    [Fact]
    public void At_least_one_surface_is_required()
    {
        var rejection = Spec().When(Issue(surfaces: [])).ThenRejects("dev_link.surfaces_required");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
    }

    [Fact]
    public void An_undefined_surface_value_is_refused() =>
        Spec().When(Issue(surfaces: [DevLinkSurface.Web, (DevLinkSurface)42])).ThenRejects("dev_link.surfaces_required");

    [Fact]
    public void Surfaces_are_stored_distinct_and_in_a_stable_order() =>
        Spec().When(Issue(surfaces: [DevLinkSurface.WebSockets, DevLinkSurface.Web, DevLinkSurface.WebSockets]))
            .Then(Issued(surfaces: [DevLinkSurface.Web, DevLinkSurface.WebSockets]));

    [Fact]
    public void A_service_the_workspace_does_not_declare_is_unprocessable()
    {
        var rejection = Spec().When(Issue(service: "db", serviceDeclared: false)).ThenRejects("dev_link.service_not_found");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Assert.Contains("'db'", rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ServiceKind.Console)]
    [InlineData(ServiceKind.Database)]
    [InlineData(ServiceKind.Mail)]
    [InlineData(ServiceKind.Storage)]
    [InlineData(ServiceKind.Admin)]
    [InlineData(ServiceKind.Shell)]
    public void Only_an_app_service_is_linkable(ServiceKind kind)
    {
        var rejection = Spec().When(Issue(service: "mailpit", kind: kind)).ThenRejects("dev_link.service_not_linkable");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Assert.Contains("'mailpit'", rejection.Message, StringComparison.Ordinal);
        Assert.Contains(kind.ToString().ToLowerInvariant(), rejection.Message, StringComparison.Ordinal);
        Spec().When(Issue(kind: ServiceKind.App)).Then(Issued());
    }

    [Fact]
    public void A_service_not_declared_is_not_found_whatever_kind_was_guessed_for_it() =>
        Spec().When(Issue(service: "db", serviceDeclared: false, kind: ServiceKind.Database)).ThenRejects("dev_link.service_not_found");

    [Fact]
    public void A_workspace_of_another_org_is_not_found()
    {
        var rejection = Spec().When(Issue(inOrg: false)).ThenRejects("dev_link.workspace_not_found");
        Assert.Equal(RejectionKind.NotFound, rejection.Kind);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void Roles_without_UseWorkspaces_cannot_issue_links(Role role)
    {
        var rejection = Spec().When(Issue(role: role)).ThenRejects("organization.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Theory]
    [InlineData(Role.Owner)]
    [InlineData(Role.Admin)]
    public void Owners_and_admins_issue_links_too(Role role) =>
        Spec().When(Issue(role: role, by: "ada")).Then(Issued(by: "ada"));

    [Fact]
    public void A_non_member_is_told_the_org_does_not_exist()
    {
        var rejection = Spec().When(Issue(role: null, by: "mallory")).ThenRejects("organization.not_found");
        Assert.Equal(RejectionKind.NotFound, rejection.Kind);
    }

    [Fact]
    public void A_retried_issue_changes_nothing_but_reusing_the_id_is_a_conflict()
    {
        Spec().Given(Issued()).When(Issue()).ThenNothing();
        Spec().Given(Issued()).When(Issue(by: "eve")).ThenRejects("dev_link.already_exists");
    }

    // --- first use ---

    [Fact]
    public void The_first_use_of_a_generation_is_recorded_once()
    {
        Spec().Given(Issued()).When(Use()).Then(FirstUsed());
        Spec().Given(Issued(), FirstUsed()).When(Use(minutes: 6)).ThenNothing();
    }

    [Fact]
    public void Each_generation_has_its_own_first_use()
    {
        Spec().Given(Issued(), FirstUsed(), Rotated()).When(Use(generation: 2, minutes: 11)).Then(FirstUsed(generation: 2, minutes: 11));
        Spec().Given(Issued(), FirstUsed(), Rotated(), FirstUsed(generation: 2, minutes: 11)).When(Use(generation: 2, minutes: 12)).ThenNothing();
    }

    [Fact]
    public void A_use_with_an_old_or_unknown_generation_records_nothing()
    {
        Spec().Given(Issued(), Rotated()).When(Use(generation: 1, minutes: 11)).ThenNothing();
        Spec().Given(Issued()).When(Use(generation: 2)).ThenNothing();
    }

    [Fact]
    public void A_use_of_an_unknown_link_is_not_found() =>
        Spec().When(Use()).ThenRejects("dev_link.not_found");

    // --- rotate ---

    [Fact]
    public void Rotating_bumps_the_generation_and_replaces_the_hash()
    {
        Spec().Given(Issued()).When(Rotate()).Then(Rotated());
        Spec().Given(Issued(), Rotated()).When(Rotate(hash: Hash3, minutes: 12)).Then(Rotated(generation: 3, hash: Hash3, minutes: 12));
    }

    [Fact]
    public void After_a_rotation_the_old_hash_is_void()
    {
        var link = new IDevLinkEvent[] { Issued(), Rotated() }.Aggregate((DevLink?)null, DevLink.Evolve)!;

        Assert.Equal(2, link.Generation);
        Assert.Equal(Hash2, link.TokenHash);
        Assert.Equal("k2", link.KeyId);
        Assert.NotEqual(Hash1, link.TokenHash);
    }

    [Fact]
    public void Rotating_to_the_same_hash_changes_nothing() =>
        Spec().Given(Issued(), Rotated()).When(Rotate(hash: Hash2, minutes: 11)).ThenNothing();

    [Fact]
    public void An_admin_or_owner_may_rotate_someone_elses_link()
    {
        Spec().Given(Issued()).When(Rotate(by: "ada", role: Role.Admin)).Then(Rotated(by: "ada"));
        Spec().Given(Issued()).When(Rotate(by: "olga", role: Role.Owner)).Then(Rotated(by: "olga"));
    }

    [Fact]
    public void Another_developer_may_not_rotate_the_link()
    {
        var rejection = Spec().Given(Issued()).When(Rotate(by: "eve")).ThenRejects("dev_link.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    // --- surfaces ---

    [Fact]
    public void The_issuer_changes_the_surfaces() =>
        Spec().Given(Issued()).When(ChangeSurfaces([DevLinkSurface.Assets, DevLinkSurface.Web]))
            .Then(new DevLinkSurfacesChanged(Link, Org, [DevLinkSurface.Web, DevLinkSurface.Assets], "dev", At(TimeSpan.FromMinutes(15))));

    [Fact]
    public void The_same_set_of_surfaces_in_another_order_changes_nothing() =>
        Spec().Given(Issued()).When(ChangeSurfaces([DevLinkSurface.Api, DevLinkSurface.Web, DevLinkSurface.Api])).ThenNothing();

    [Fact]
    public void Changing_to_no_surfaces_is_refused() =>
        Spec().Given(Issued()).When(ChangeSurfaces([])).ThenRejects("dev_link.surfaces_required");

    [Fact]
    public void Another_developer_may_not_change_the_surfaces_but_an_admin_may()
    {
        Spec().Given(Issued()).When(ChangeSurfaces([DevLinkSurface.Web], by: "eve")).ThenRejects("dev_link.not_allowed");
        Spec().Given(Issued()).When(ChangeSurfaces([DevLinkSurface.Web], by: "ada", role: Role.Admin))
            .Then(new DevLinkSurfacesChanged(Link, Org, [DevLinkSurface.Web], "ada", At(TimeSpan.FromMinutes(15))));
    }

    // --- revoke ---

    [Fact]
    public void The_issuer_revokes_the_link() =>
        Spec().Given(Issued()).When(Revoke(reason: "  shared in the wrong channel ")).Then(Revoked(reason: "shared in the wrong channel"));

    [Fact]
    public void A_blank_reason_is_recorded_as_none() =>
        Spec().Given(Issued()).When(Revoke(reason: "   ")).Then(Revoked());

    [Theory]
    [InlineData(Role.Admin)]
    [InlineData(Role.Owner)]
    public void An_admin_or_owner_revokes_someone_elses_link(Role role) =>
        Spec().Given(Issued()).When(Revoke(by: "ada", role: role)).Then(Revoked(by: "ada"));

    [Fact]
    public void Another_developer_may_not_revoke_the_link()
    {
        var rejection = Spec().Given(Issued()).When(Revoke(by: "eve")).ThenRejects("dev_link.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void An_issuer_who_lost_UseWorkspaces_no_longer_manages_the_link(Role role) =>
        Spec().Given(Issued()).When(Revoke(role: role)).ThenRejects("dev_link.not_allowed");

    [Fact]
    public void A_non_member_or_a_member_of_another_org_is_told_the_link_does_not_exist()
    {
        Assert.Equal(RejectionKind.NotFound, Spec().Given(Issued()).When(Revoke(by: "mallory", role: null)).ThenRejects("dev_link.not_found").Kind);
        // An Owner of another org, asking through their own org, is no one here.
        Spec().Given(Issued()).When(Revoke(by: "olga", role: Role.Owner, org: OtherOrg)).ThenRejects("dev_link.not_found");
        Spec().Given(Issued()).When(Rotate(by: "olga", role: Role.Owner, org: OtherOrg)).ThenRejects("dev_link.not_found");
        Spec().Given(Issued()).When(ChangeSurfaces([DevLinkSurface.Web], by: "olga", role: Role.Owner, org: OtherOrg)).ThenRejects("dev_link.not_found");
    }

    [Fact]
    public void Commands_on_an_unknown_link_are_not_found()
    {
        Spec().When(Revoke()).ThenRejects("dev_link.not_found");
        Spec().When(Rotate()).ThenRejects("dev_link.not_found");
        Spec().When(ChangeSurfaces(WebAndApi)).ThenRejects("dev_link.not_found");
        Spec().When(Expire(Day)).ThenRejects("dev_link.not_found");
    }

    [Fact]
    public void Revoking_twice_changes_nothing() =>
        Spec().Given(Issued(), Revoked()).When(Revoke(by: "ada", role: Role.Admin)).ThenNothing();

    [Fact]
    public void A_reason_longer_than_500_characters_is_refused()
    {
        Spec().Given(Issued()).When(Revoke(reason: new string('x', 501))).ThenRejects("dev_link.reason_too_long");
        Spec().Given(Issued()).When(Revoke(reason: new string('x', 500))).Then(Revoked(reason: new string('x', 500)));
    }

    // --- expire ---

    [Fact]
    public void Expiring_before_the_link_is_due_is_refused()
    {
        var rejection = Spec().Given(Issued()).When(Expire(Day - TimeSpan.FromSeconds(1))).ThenRejects("dev_link.not_yet_due");
        Assert.Equal(RejectionKind.Conflict, rejection.Kind);
    }

    [Fact]
    public void A_link_expires_once_when_due()
    {
        Spec().Given(Issued()).When(Expire(Day)).Then(Expired());
        Spec().Given(Issued()).When(Expire(Day + TimeSpan.FromMinutes(3)))
            .Then(new DevLinkExpired(Link, Org, Now + Day, "system:dev-links", Now + Day + TimeSpan.FromMinutes(3)));
        Spec().Given(Issued(), Expired()).When(Expire(Day + TimeSpan.FromMinutes(1))).ThenNothing();
    }

    [Fact]
    public void A_revoked_link_does_not_expire_as_well() =>
        Spec().Given(Issued(), Revoked()).When(Expire(Day)).ThenNothing();

    // --- an ended link stays ended ---

    public static TheoryData<string> Ends => ["revoked", "expired"];

    private static IDevLinkEvent[] Ended(string end) => end == "revoked" ? [Issued(), Revoked()] : [Issued(), Expired()];

    [Theory]
    [MemberData(nameof(Ends))]
    public void Nothing_reopens_an_ended_link(string end)
    {
        Spec().Given(Ended(end)).When(Rotate(minutes: 30)).ThenRejects("dev_link.ended");
        Spec().Given(Ended(end)).When(Rotate(by: "ada", role: Role.Admin, hash: Hash3, minutes: 30)).ThenRejects("dev_link.ended");
        Spec().Given(Ended(end)).When(ChangeSurfaces([DevLinkSurface.Assets])).ThenRejects("dev_link.ended");
        Spec().Given(Ended(end)).When(Use(minutes: 30)).ThenNothing();
        Spec().Given(Ended(end)).When(Revoke()).ThenNothing();
        Spec().Given(Ended(end)).When(Expire(Day + Day)).ThenNothing();
        Spec().Given(Ended(end)).When(Issue()).ThenNothing();

        var link = Ended(end).Aggregate((DevLink?)null, DevLink.Evolve)!;
        Assert.True(link.HasEnded);
        Assert.False(link.IsUsable(Now));
    }

    [Fact]
    public void A_live_link_is_usable_until_but_not_at_its_expiry()
    {
        var link = DevLink.Evolve(null, Issued())!;
        Assert.True(link.IsUsable(Now + Day - TimeSpan.FromTicks(1)));
        Assert.False(link.IsUsable(Now + Day));
    }
}

/// <summary>The org's dev-link policy: set by Owners and Admins only, within five minutes and thirty days, default at most the maximum.</summary>
public sealed class DevLinkPolicyDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    private static readonly OrganizationRegistered Registered = new(Org, "Acme", "ext-1", "olga", Now);

    private static readonly IOrganizationEvent[] Members =
    [
        Registered,
        new MemberAdded(Org, "olga", null, Role.Owner, "olga", Now),
        new MemberAdded(Org, "ada", null, Role.Admin, "olga", Now),
        new MemberAdded(Org, "dev", null, Role.Developer, "olga", Now),
        new MemberAdded(Org, "vic", null, Role.Viewer, "olga", Now),
        new MemberAdded(Org, "sue", null, Role.Support, "olga", Now),
        new MemberAdded(Org, "aud", null, Role.Auditor, "olga", Now),
    ];

    private static DeciderSpecification<Organizations.OrgState, IOrganizationEvent, IOrganizationCommand> Spec() =>
        Organizations.OrgSpecification.Spec().Given(Members);

    private static DevLinkPolicy Policy(double defaultHours, double maximumHours) => new(TimeSpan.FromHours(defaultHours), TimeSpan.FromHours(maximumHours));

    private static SetDevLinkPolicy Set(DevLinkPolicy policy, string by = "olga") => new(Org, policy, by, Now);

    [Theory]
    [InlineData("olga")]
    [InlineData("ada")]
    public void Owners_and_admins_set_the_policy(string by) =>
        Spec().When(Set(Policy(2, 48), by)).Then(new DevLinkPolicyChanged(Org, Policy(2, 48), by, Now));

    [Theory]
    [InlineData("dev")]
    [InlineData("vic")]
    [InlineData("sue")]
    [InlineData("aud")]
    public void Other_roles_may_not_set_the_policy(string by)
    {
        var rejection = Spec().When(Set(Policy(2, 48), by)).ThenRejects("organization.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Fact]
    public void A_non_member_is_told_the_org_does_not_exist() =>
        Spec().When(Set(Policy(2, 48), "mallory")).ThenRejects("organization.not_found");

    [Fact]
    public void Setting_the_policy_it_already_has_changes_nothing()
    {
        Spec().When(Set(DevLinkPolicy.Default)).ThenNothing();
        Spec().Given(new DevLinkPolicyChanged(Org, Policy(2, 48), "olga", Now)).When(Set(Policy(2, 48), "ada")).ThenNothing();
    }

    [Fact]
    public void The_maximum_lies_between_five_minutes_and_thirty_days()
    {
        Spec().When(Set(new DevLinkPolicy(TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(4)))).ThenRejects("dev_link_policy.maximum_out_of_range");
        Spec().When(Set(Policy(1, (24 * 30) + 1))).ThenRejects("dev_link_policy.maximum_out_of_range");
        Spec().When(Set(new DevLinkPolicy(DevLinkPolicy.MinimumExpiry, DevLinkPolicy.MinimumExpiry)))
            .Then(new DevLinkPolicyChanged(Org, new DevLinkPolicy(DevLinkPolicy.MinimumExpiry, DevLinkPolicy.MinimumExpiry), "olga", Now));
        Spec().When(Set(new DevLinkPolicy(Day, DevLinkPolicy.Ceiling)))
            .Then(new DevLinkPolicyChanged(Org, new DevLinkPolicy(Day, DevLinkPolicy.Ceiling), "olga", Now));
    }

    [Fact]
    public void The_default_lies_between_five_minutes_and_the_maximum()
    {
        var rejection = Spec().When(Set(new DevLinkPolicy(TimeSpan.FromMinutes(4), Day))).ThenRejects("dev_link_policy.default_out_of_range");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Spec().When(Set(Policy(25, 24))).ThenRejects("dev_link_policy.default_out_of_range");
        Spec().When(Set(Policy(24, 24))).Then(new DevLinkPolicyChanged(Org, Policy(24, 24), "olga", Now));
    }

    [Fact]
    public void The_policy_is_the_orgs_from_then_on()
    {
        var org = Members.Append(new DevLinkPolicyChanged(Org, Policy(2, 48), "olga", Now)).Aggregate((Organization?)null, Organization.Evolve)!;
        Assert.Equal(Policy(2, 48), org.DevLinkPolicy);
        Assert.Equal(DevLinkPolicy.Default, Members.Aggregate((Organization?)null, Organization.Evolve)!.DevLinkPolicy);
    }
}
