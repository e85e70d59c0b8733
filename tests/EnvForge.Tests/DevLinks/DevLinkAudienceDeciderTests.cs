using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// A link's audience: named members and roles of its org, or (naming nobody) anyone with the link. Named users must be
/// members; the audience is normalized so the same audience written another way changes nothing.
/// </summary>
public sealed class DevLinkAudienceDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly Guid Ws = Guid.CreateVersion7();
    private static readonly Guid Link = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Now.AddMinutes(15);
    private static readonly DevLinkSurface[] Web = [DevLinkSurface.Web];
    private static readonly HashSet<string> Members = ["dev", "ada", "bob", "cy"];
    private const string Hash = "1111111111111111111111111111111111111111111111111111111111111111";

    private static DeciderSpecification<DevLink, IDevLinkEvent, IDevLinkCommand> Spec() => new(DevLinkDecider.Decide, DevLink.Evolve);

    private static DevLinkAudience Audience(string[] users, params Role[] roles) => new(users, roles);

    private static IssueDevLink Issue(DevLinkAudience? audience) =>
        new(Link, Org, Ws, "web", true, true, Role.Developer, DevLinkPolicy.Default, null, Web, "k1", Hash, "dev", Now) { Audience = audience, Members = Members, ServiceKind = Domain.Workspaces.ServiceKind.App };

    private static DevLinkIssued Issued(DevLinkAudience? audience = null) =>
        new(Link, Org, Ws, "web", "dev", Now + TimeSpan.FromHours(24), Web, "k1", Hash, "dev", Now, audience);

    private static ChangeDevLinkAudience Change(DevLinkAudience? audience, string by = "dev", Role? role = Role.Developer) =>
        new(Link, Org, role, audience, Members, by, Later);

    [Fact]
    public void A_link_issued_without_an_audience_opens_for_anyone_with_it()
    {
        Spec().When(Issue(null)).Then(Issued());
        Spec().When(Issue(Audience([]))).Then(Issued()); // naming nobody is the same thing
    }

    [Fact]
    public void The_audience_is_recorded_distinct_and_in_a_stable_order() =>
        Spec().When(Issue(Audience(["cy", "bob", "cy"], Role.Admin, Role.Developer, Role.Admin)))
            .Then(Issued(Audience(["bob", "cy"], Role.Admin, Role.Developer)));

    [Fact]
    public void A_named_user_who_is_not_a_member_is_refused_by_name()
    {
        var rejection = Spec().When(Issue(Audience(["bob", "mallory"]))).ThenRejects("dev_link.audience_user_not_member");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
        Assert.Contains("'mallory'", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_audience_is_bounded()
    {
        var many = Enumerable.Range(0, DevLinkAudience.MaxUsers + 1).Select(i => $"user-{i}").ToArray();
        Spec().When(Issue(Audience(many)) with { Members = many.ToHashSet() }).ThenRejects("dev_link.audience_too_large");
        Spec().When(Issue(Audience([new string('x', DevLinkAudience.MaxSubjectLength + 1)]))).ThenRejects("dev_link.audience_user_invalid");
        Spec().When(Issue(Audience([" "]))).ThenRejects("dev_link.audience_user_invalid");
        Spec().When(Issue(Audience([], (Role)42))).ThenRejects("dev_link.audience_role_invalid");
    }

    [Fact]
    public void Fifty_named_users_are_allowed()
    {
        var fifty = Enumerable.Range(0, DevLinkAudience.MaxUsers).Select(i => $"user-{i:00}").ToArray();
        Spec().When(Issue(Audience(fifty)) with { Members = fifty.ToHashSet() }).Then(Issued(Audience(fifty)));
    }

    [Fact]
    public void The_issuer_narrows_and_reopens_the_audience()
    {
        Spec().Given(Issued()).When(Change(Audience(["bob"])))
            .Then(new DevLinkAudienceChanged(Link, Org, Audience(["bob"]), "dev", Later));
        Spec().Given(Issued(Audience(["bob"]))).When(Change(null))
            .Then(new DevLinkAudienceChanged(Link, Org, null, "dev", Later));
        Spec().Given(Issued(Audience(["bob"]))).When(Change(Audience([])))
            .Then(new DevLinkAudienceChanged(Link, Org, null, "dev", Later));
    }

    [Fact]
    public void The_same_audience_written_another_way_changes_nothing()
    {
        Spec().Given(Issued(Audience(["bob", "cy"], Role.Admin))).When(Change(Audience(["cy", "bob", "bob"], Role.Admin, Role.Admin))).ThenNothing();
        Spec().Given(Issued()).When(Change(Audience([]))).ThenNothing();
    }

    [Fact]
    public void Changing_to_a_non_member_is_refused() =>
        Spec().Given(Issued()).When(Change(Audience(["mallory"]))).ThenRejects("dev_link.audience_user_not_member");

    [Fact]
    public void Only_the_issuer_an_admin_or_an_owner_changes_the_audience()
    {
        var rejection = Spec().Given(Issued()).When(Change(Audience(["bob"]), by: "eve")).ThenRejects("dev_link.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
        Spec().Given(Issued()).When(Change(Audience(["bob"]), by: "ada", role: Role.Admin))
            .Then(new DevLinkAudienceChanged(Link, Org, Audience(["bob"]), "ada", Later));
        Spec().Given(Issued()).When(Change(Audience(["bob"]), role: Role.Viewer)).ThenRejects("dev_link.not_allowed");
        Spec().Given(Issued()).When(Change(Audience(["bob"]), role: null)).ThenRejects("dev_link.not_found");
    }

    [Fact]
    public void An_ended_link_keeps_its_audience() =>
        Spec().Given(Issued(), new DevLinkRevoked(Link, Org, null, "dev", Now.AddMinutes(1))).When(Change(Audience(["bob"]))).ThenRejects("dev_link.ended");

    [Fact]
    public void The_state_follows_the_audience()
    {
        var state = DevLink.Evolve(null, Issued(Audience(["bob"])));
        Assert.Equal(["bob"], state!.Audience!.Users);
        state = DevLink.Evolve(state, new DevLinkAudienceChanged(Link, Org, Audience([], Role.Admin), "dev", Later));
        Assert.Empty(state!.Audience!.Users);
        Assert.Equal([Role.Admin], state.Audience.Roles);
        state = DevLink.Evolve(state, new DevLinkAudienceChanged(Link, Org, null, "dev", Later));
        Assert.Null(state!.Audience);
    }

    [Theory]
    [InlineData("bob", Role.Viewer, true)] // named
    [InlineData("cy", Role.Admin, true)] // by role
    [InlineData("cy", Role.Developer, false)]
    [InlineData("bob", null, false)] // named, but no longer a member
    [InlineData("BOB", Role.Viewer, false)] // subjects are exact
    public void Allows_a_current_member_named_by_user_or_role(string subject, Role? role, bool allowed) =>
        Assert.Equal(allowed, Audience(["bob"], Role.Admin).Allows(subject, role));

    [Fact]
    public void An_audience_is_described_for_the_audit_trail_without_anything_secret()
    {
        Assert.EndsWith("for bob, every Admin", Issued(Audience(["bob"], Role.Admin)).Describe(), StringComparison.Ordinal);
        Assert.EndsWith("for anyone with the link", Issued().Describe(), StringComparison.Ordinal);
        Assert.Equal("shared the dev link with anyone with the link", new DevLinkAudienceChanged(Link, Org, null, "dev", Later).Describe());
    }
}
