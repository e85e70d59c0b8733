using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Elevation;

public sealed class ElevationDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly Guid OtherOrg = Guid.CreateVersion7();
    private static readonly Guid Ws = Guid.CreateVersion7();
    private static readonly Guid Grant = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private const string Reason = "kernel module fails to load; need dmesg and modprobe";

    private static readonly RootPolicy BreakGlass = new(RootMode.BreakGlass, Hour, 1, Hour);
    private static readonly RootPolicy TwoApprovals = BreakGlass with { ApprovalsRequired = 2 };

    private static DeciderSpecification<RootElevation, IElevationEvent, IElevationCommand> Spec() => new(ElevationDecider.Decide, RootElevation.Evolve);

    private static DateTimeOffset At(int minutes) => Now.AddMinutes(minutes);

    private static RequestElevation Request(
        RootPolicy? policy = null, RootMode mode = RootMode.BreakGlass, TimeSpan? window = null, string reason = Reason, string? ticket = null,
        Role? role = Role.Developer, bool inOrg = true, string by = "dev") =>
        new(Grant, Org, Ws, inOrg, role, policy ?? BreakGlass, mode, window ?? HalfHour, reason, ticket, by, Now);

    private static ElevationRequested Requested(int approvals = 1, TimeSpan? window = null, string? ticket = null, string by = "dev") =>
        new(Grant, Org, Ws, by, Reason, ticket, RootMode.BreakGlass, window ?? HalfHour, approvals, Now + Hour, by, Now);

    private static ApproveElevation Approve(string by = "ada", Role? role = Role.Admin, TimeSpan? window = null, int at = 5, Guid? org = null) =>
        new(Grant, org ?? Org, role, window, by, At(at));

    private static ElevationApproved Approved(string by = "ada", TimeSpan? window = null, int given = 1, int required = 1, int at = 5) =>
        new(Grant, Org, by, window ?? HalfHour, given, required, by, At(at));

    private static ElevationActivated Activated(int at = 10, TimeSpan? window = null) =>
        new(Grant, Org, Ws, At(at), At(at) + (window ?? HalfHour), "system:elevation", At(at));

    private static IElevationEvent[] Active() => [Requested(), Approved(), Activated()];

    // --- request ---

    [Fact]
    public void A_developer_requests_root_within_policy() => Spec().When(Request()).Then(Requested());

    [Fact]
    public void An_admin_may_request_root_too() => Spec().When(Request(role: Role.Admin, by: "ada")).Then(Requested(by: "ada"));

    [Fact]
    public void A_request_carries_the_policy_terms_it_was_made_under() =>
        Spec().When(Request(policy: TwoApprovals with { PendingDeadline = TimeSpan.FromMinutes(20) }))
            .Then(Requested(approvals: 2) with { Deadline = At(20) });

    [Fact]
    public void Requesting_while_root_is_disabled_is_a_conflict()
    {
        var rejection = Spec().When(Request(policy: RootPolicy.Default)).ThenRejects("elevation.policy_disabled");
        Assert.Equal(RejectionKind.Conflict, rejection.Kind);
    }

    [Theory]
    [InlineData(RootMode.WorkspaceElevation)]
    [InlineData(RootMode.Disabled)]
    public void Requesting_a_mode_the_policy_does_not_allow_is_unprocessable(RootMode mode)
    {
        var rejection = Spec().When(Request(mode: mode)).ThenRejects("elevation.mode_not_allowed");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
    }

    [Fact]
    public void Requesting_a_window_beyond_the_policy_maximum_is_unprocessable()
    {
        var rejection = Spec().When(Request(policy: BreakGlass with { MaximumWindow = HalfHour }, window: TimeSpan.FromMinutes(31)))
            .ThenRejects("elevation.window_exceeds_policy");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
    }

    [Fact]
    public void A_window_of_exactly_the_policy_maximum_is_allowed() =>
        Spec().When(Request(window: Hour)).Then(Requested(window: Hour));

    [Fact]
    public void Requesting_a_window_below_the_minimum_is_unprocessable() =>
        Spec().When(Request(window: TimeSpan.FromMinutes(1))).ThenRejects("elevation.window_too_short");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_reason_is_required(string reason)
    {
        var rejection = Spec().When(Request(reason: reason)).ThenRejects("elevation.reason_required");
        Assert.Equal(RejectionKind.Unprocessable, rejection.Kind);
    }

    [Fact]
    public void A_reason_longer_than_500_characters_is_refused()
    {
        Spec().When(Request(reason: new string('x', 501))).ThenRejects("elevation.reason_too_long");
        Spec().When(Request(reason: new string('x', 500))).Then(Requested() with { Reason = new string('x', 500) });
    }

    [Fact]
    public void A_ticket_reference_is_required_when_the_policy_says_so()
    {
        var policy = BreakGlass with { TicketReferenceRequired = true };
        Spec().When(Request(policy: policy)).ThenRejects("elevation.ticket_reference_required");
        Spec().When(Request(policy: policy, ticket: "INC-4711")).Then(Requested(ticket: "INC-4711"));
    }

    [Fact]
    public void Requesting_root_on_a_workspace_of_another_org_is_not_found()
    {
        var rejection = Spec().When(Request(inOrg: false)).ThenRejects("elevation.workspace_not_found");
        Assert.Equal(RejectionKind.NotFound, rejection.Kind);
    }

    [Fact]
    public void A_non_member_is_told_the_org_does_not_exist() =>
        Spec().When(Request(role: null, by: "mallory")).ThenRejects("organization.not_found");

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void Roles_without_UseWorkspaces_cannot_request_root(Role role)
    {
        var rejection = Spec().When(Request(role: role)).ThenRejects("organization.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Fact]
    public void Repeating_a_request_changes_nothing_but_reusing_its_id_is_a_conflict()
    {
        Spec().Given(Requested()).When(Request()).ThenNothing();
        Spec().Given(Requested()).When(Request(by: "eve")).ThenRejects("elevation.already_exists");
    }

    // --- approve and deny ---

    [Fact]
    public void One_approval_approves_a_one_approval_request() =>
        Spec().Given(Requested()).When(Approve()).Then(Approved());

    [Fact]
    public void Requester_cannot_approve_own_request()
    {
        var rejection = Spec().Given(Requested(by: "ada")).When(Approve(by: "ada")).ThenRejects("elevation.requester_cannot_approve");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
        Spec().Given(Requested(by: "olga")).When(Approve(by: "olga", role: Role.Owner)).ThenRejects("elevation.requester_cannot_approve");
    }

    [Fact]
    public void Requester_cannot_deny_own_request() =>
        Spec().Given(Requested(by: "ada")).When(new DenyElevation(Grant, Org, Role.Admin, "no", "ada", At(5)))
            .ThenRejects("elevation.requester_cannot_approve");

    [Theory]
    [InlineData(Role.Developer)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Support)]
    [InlineData(Role.Auditor)]
    public void Roles_without_ApproveElevation_cannot_approve(Role role)
    {
        var rejection = Spec().Given(Requested()).When(Approve(by: "eve", role: role)).ThenRejects("organization.not_allowed");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Fact]
    public void Approving_a_grant_of_another_org_or_as_a_non_member_is_not_found()
    {
        Spec().Given(Requested()).When(Approve(org: OtherOrg)).ThenRejects("elevation.not_found");
        Spec().Given(Requested()).When(Approve(by: "mallory", role: null)).ThenRejects("elevation.not_found");
        Spec().When(Approve()).ThenRejects("elevation.not_found");
    }

    [Fact]
    public void Two_approvals_required_leaves_one_approval_pending()
    {
        Spec().Given(Requested(approvals: 2)).When(Approve()).Then(Approved(given: 1, required: 2));
        Spec().Given(Requested(approvals: 2), Approved(given: 1, required: 2)).When(new ActivateElevation(Grant, "system:elevation", At(6)))
            .ThenRejects("elevation.not_approved");
    }

    [Fact]
    public void The_second_distinct_approval_completes_a_two_approval_request()
    {
        Spec().Given(Requested(approvals: 2), Approved(given: 1, required: 2)).When(Approve(by: "olga", role: Role.Owner, at: 7))
            .Then(Approved(by: "olga", given: 2, required: 2, at: 7));
        Spec().Given(Requested(approvals: 2), Approved(given: 1, required: 2), Approved(by: "olga", given: 2, required: 2, at: 7))
            .When(new ActivateElevation(Grant, "system:elevation", At(8))).Then(Activated(at: 8));
    }

    [Fact]
    public void The_same_approver_counts_once()
    {
        var given = new IElevationEvent[] { Requested(approvals: 2), Approved(given: 1, required: 2) };
        Spec().Given(given).When(Approve(at: 6)).ThenNothing();
        Spec().Given(given).When(Approve(at: 6, window: TimeSpan.FromMinutes(10))).ThenNothing();
        Spec().Given(given).When(new ActivateElevation(Grant, "system:elevation", At(7))).ThenRejects("elevation.not_approved");
    }

    [Fact]
    public void Approval_may_shorten_but_never_lengthen_the_window()
    {
        var quarter = TimeSpan.FromMinutes(15);
        Spec().Given(Requested()).When(Approve(window: quarter)).Then(Approved(window: quarter));
        Spec().Given(Requested()).When(Approve(window: TimeSpan.FromMinutes(45))).ThenRejects("elevation.window_cannot_grow");
        // A second approver cannot undo the first one's shortening either.
        Spec().Given(Requested(approvals: 2), Approved(window: quarter, given: 1, required: 2)).When(Approve(by: "olga", role: Role.Owner, window: HalfHour))
            .ThenRejects("elevation.window_cannot_grow");
        Spec().Given(Requested()).When(Approve(window: TimeSpan.FromMinutes(1))).ThenRejects("elevation.window_too_short");
    }

    [Fact]
    public void Approving_after_the_deadline_is_refused() =>
        Spec().Given(Requested()).When(Approve(at: 61)).ThenRejects("elevation.deadline_passed");

    [Fact]
    public void An_approver_denies_a_pending_request_and_it_ends_there()
    {
        var denied = new ElevationDenied(Grant, Org, "ada", "use the staging box", "ada", At(5));
        Spec().Given(Requested()).When(new DenyElevation(Grant, Org, Role.Admin, "use the staging box", "ada", At(5))).Then(denied);
        Spec().Given(Requested(), denied).When(new DenyElevation(Grant, Org, Role.Admin, "again", "ada", At(6))).ThenNothing();
        Spec().Given(Requested(), denied).When(Approve(by: "olga", role: Role.Owner, at: 6)).ThenRejects("elevation.wrong_state");
    }

    [Fact]
    public void A_partially_approved_request_can_still_be_denied() =>
        Spec().Given(Requested(approvals: 2), Approved(given: 1, required: 2))
            .When(new DenyElevation(Grant, Org, Role.Owner, "not during the freeze", "olga", At(6)))
            .Then(new ElevationDenied(Grant, Org, "olga", "not during the freeze", "olga", At(6)));

    [Fact]
    public void A_denial_needs_a_reason() =>
        Spec().Given(Requested()).When(new DenyElevation(Grant, Org, Role.Admin, " ", "ada", At(5))).ThenRejects("elevation.reason_required");

    [Fact]
    public void Roles_without_ApproveElevation_cannot_deny() =>
        Spec().Given(Requested()).When(new DenyElevation(Grant, Org, Role.Developer, "no", "eve", At(5))).ThenRejects("organization.not_allowed");

    // --- activation ---

    [Fact]
    public void Window_starts_at_activation_not_at_request() =>
        Spec().Given(Requested(), Approved(at: 25)).When(new ActivateElevation(Grant, "system:elevation", At(40)))
            .Then(new ElevationActivated(Grant, Org, Ws, At(40), At(70), "system:elevation", At(40)));

    [Fact]
    public void Activation_uses_the_shortened_window() =>
        Spec().Given(Requested(), Approved(window: TimeSpan.FromMinutes(10))).When(new ActivateElevation(Grant, "system:elevation", At(10)))
            .Then(Activated(window: TimeSpan.FromMinutes(10)));

    [Fact]
    public void Activating_before_approval_is_refused_and_activating_twice_changes_nothing()
    {
        Spec().Given(Requested()).When(new ActivateElevation(Grant, "system:elevation", At(1))).ThenRejects("elevation.not_approved");
        Spec().Given(Active()).When(new ActivateElevation(Grant, "system:elevation", At(11))).ThenNothing();
    }

    [Fact]
    public void Changing_policy_never_widens_an_approved_grant()
    {
        // Requested for 30 min with 2 approvals under break-glass; the org has since moved to 8 h workspace elevation with 1 approval.
        // Approvals and activation read only the grant's own terms, never the org's new policy.
        var given = new IElevationEvent[] { Requested(approvals: 2), Approved(given: 1, required: 2) };
        Spec().Given(given).When(Approve(by: "olga", role: Role.Owner, window: TimeSpan.FromHours(8), at: 7)).ThenRejects("elevation.window_cannot_grow");
        Spec().Given(given).When(new ActivateElevation(Grant, "system:elevation", At(8))).ThenRejects("elevation.not_approved");
        Spec().Given([.. given, Approved(by: "olga", given: 2, required: 2, at: 7)]).When(new ActivateElevation(Grant, "system:elevation", At(8)))
            .Then(Activated(at: 8, window: HalfHour));
    }

    // --- revoke ---

    [Fact]
    public void The_requester_may_withdraw_a_pending_request() =>
        Spec().Given(Requested()).When(new RevokeElevation(Grant, Org, Role.Developer, "fixed it without root", "dev", At(3)))
            .Then(new ElevationRevoked(Grant, Org, "dev", "fixed it without root", "dev", At(3)));

    [Fact]
    public void Revoking_an_active_grant_records_it_and_the_closeout_follows_before_the_expiry()
    {
        var revoked = new ElevationRevoked(Grant, Org, "ada", "suspicious activity", "ada", At(20));
        Spec().Given(Active()).When(new RevokeElevation(Grant, Org, Role.Admin, "suspicious activity", "ada", At(20))).Then(revoked);
        // The grant stays active until the closeout has taken root away on the host; that closeout is not held to the expiry.
        Spec().Given([.. Active(), revoked]).When(new CloseOutElevation(Grant, "system:elevation", At(21)))
            .Then(new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.Revoked, At(21), "system:elevation", At(21)));
        // A second revoke (a retried request, another admin) adds nothing while the closeout is on its way.
        Spec().Given([.. Active(), revoked]).When(new RevokeElevation(Grant, Org, Role.Owner, "me too", "olga", At(20))).ThenNothing();
    }

    [Fact]
    public void An_owner_may_revoke_an_approved_grant_before_activation() =>
        Spec().Given(Requested(), Approved()).When(new RevokeElevation(Grant, Org, Role.Owner, "wrong workspace", "olga", At(6)))
            .Then(new ElevationRevoked(Grant, Org, "olga", "wrong workspace", "olga", At(6)));

    [Fact]
    public void Another_developer_cannot_revoke_someone_elses_grant()
    {
        var rejection = Spec().Given(Active()).When(new RevokeElevation(Grant, Org, Role.Developer, "mine now", "eve", At(20)))
            .ThenRejects("elevation.not_allowed_to_revoke");
        Assert.Equal(RejectionKind.Forbidden, rejection.Kind);
    }

    [Fact]
    public void Revoking_a_grant_of_another_org_or_as_a_non_member_is_not_found()
    {
        Spec().Given(Active()).When(new RevokeElevation(Grant, OtherOrg, Role.Owner, "x", "oscar", At(20))).ThenRejects("elevation.not_found");
        Spec().Given(Active()).When(new RevokeElevation(Grant, Org, null, "x", "mallory", At(20))).ThenRejects("elevation.not_found");
    }

    [Fact]
    public void A_revocation_needs_a_reason() =>
        Spec().Given(Active()).When(new RevokeElevation(Grant, Org, Role.Admin, "", "ada", At(20))).ThenRejects("elevation.reason_required");

    [Fact]
    public void Revoking_a_grant_that_already_ended_changes_nothing() =>
        Spec().Given([.. Active(), new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.Expired, At(40), "system:elevation", At(40))])
            .When(new RevokeElevation(Grant, Org, Role.Admin, "late", "ada", At(41))).ThenNothing();

    // --- deadline, expiry, closeout ---

    [Fact]
    public void An_approved_grant_whose_activation_failed_for_good_is_closed_out_and_nothing_else_is()
    {
        Spec().Given(Requested(), Approved()).When(new AbandonActivation(Grant, "system:elevation", At(9)))
            .Then(new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.ActivationFailed, At(9), "system:elevation", At(9)));
        Spec().Given(Active()).When(new AbandonActivation(Grant, "system:elevation", At(20))).ThenRejects("elevation.wrong_state");
        Spec().Given(Requested()).When(new AbandonActivation(Grant, "system:elevation", At(3))).ThenRejects("elevation.wrong_state");
    }

    [Fact]
    public void A_request_with_no_decision_expires_at_its_deadline()
    {
        Spec().Given(Requested()).When(new ExpirePendingElevation(Grant, "system:elevation", At(60)))
            .Then(new ElevationExpired(Grant, Org, At(60), ExpiryCause.DeadlinePassed, "system:elevation", At(60)));
        Spec().Given(Requested(approvals: 2), Approved(given: 1, required: 2)).When(new ExpirePendingElevation(Grant, "system:elevation", At(61)))
            .Then(new ElevationExpired(Grant, Org, At(60), ExpiryCause.DeadlinePassed, "system:elevation", At(61)));
    }

    [Fact]
    public void Expiring_a_request_before_its_deadline_is_refused() =>
        Spec().Given(Requested()).When(new ExpirePendingElevation(Grant, "system:elevation", At(59))).ThenRejects("elevation.not_yet_due");

    [Fact]
    public void Only_pending_requests_expire() =>
        Spec().Given(Active()).When(new ExpirePendingElevation(Grant, "system:elevation", At(61))).ThenRejects("elevation.wrong_state");

    [Fact]
    public void An_active_grant_closes_out_at_expiry_and_voids_earlier_credentials() =>
        Spec().Given(Active()).When(new CloseOutElevation(Grant, "system:elevation", At(40)))
            .Then(new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.Expired, At(40), "system:elevation", At(40)));

    [Fact]
    public void Closing_out_before_expiry_is_refused() =>
        Spec().Given(Active()).When(new CloseOutElevation(Grant, "system:elevation", At(39))).ThenRejects("elevation.not_yet_due");

    [Fact]
    public void Closing_out_a_grant_that_never_became_active_is_refused() =>
        Spec().Given(Requested()).When(new CloseOutElevation(Grant, "system:elevation", At(90))).ThenRejects("elevation.wrong_state");

    [Fact]
    public void Closing_out_twice_changes_nothing() =>
        Spec().Given([.. Active(), new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.Expired, At(40), "system:elevation", At(40))])
            .When(new CloseOutElevation(Grant, "system:elevation", At(41))).ThenNothing();

    [Fact]
    public void Disabling_root_closes_out_an_active_grant() =>
        Spec().Given(Active()).When(new EndElevationForDisabledPolicy(Grant, "alice", At(15)))
            .Then(new ElevationClosedOut(Grant, Org, Ws, ElevationEnding.PolicyDisabled, At(15), "alice", At(15)));

    [Fact]
    public void Disabling_root_expires_a_grant_that_is_not_active_yet()
    {
        var expired = new ElevationExpired(Grant, Org, At(60), ExpiryCause.PolicyDisabled, "alice", At(4));
        Spec().Given(Requested()).When(new EndElevationForDisabledPolicy(Grant, "alice", At(4))).Then(expired);
        Spec().Given(Requested(), Approved()).When(new EndElevationForDisabledPolicy(Grant, "alice", At(4))).Then(expired);
    }

    [Fact]
    public void Disabling_root_after_a_grant_ended_changes_nothing() =>
        Spec().Given(Requested(), new ElevationDenied(Grant, Org, "ada", "no", "ada", At(5)))
            .When(new EndElevationForDisabledPolicy(Grant, "alice", At(6))).ThenNothing();

    [Fact]
    public void Commands_on_an_unknown_grant_are_not_found() =>
        Spec().When(new CloseOutElevation(Grant, "system:elevation", At(40))).ThenRejects("elevation.not_found");

    // --- the invariant across every path ---

    public static TheoryData<string> Paths => [.. PathsByName.Keys];

    private static readonly Dictionary<string, IElevationCommand[]> PathsByName = new()
    {
        ["approve, activate, expire"] = [Request(), Approve(), new ActivateElevation(Grant, "system", At(10)), new CloseOutElevation(Grant, "system", At(40))],
        ["deny"] = [Request(), new DenyElevation(Grant, Org, Role.Admin, "no", "ada", At(5))],
        ["no decision by the deadline"] = [Request(), new ExpirePendingElevation(Grant, "system", At(60))],
        ["one of two approvals, then the deadline"] =
            [Request(policy: TwoApprovals), Approve(), new ExpirePendingElevation(Grant, "system", At(60))],
        ["withdrawn while pending"] = [Request(), new RevokeElevation(Grant, Org, Role.Developer, "not needed", "dev", At(2))],
        ["revoked before activation"] = [Request(), Approve(), new RevokeElevation(Grant, Org, Role.Admin, "wrong ws", "ada", At(6))],
        ["revoked while active"] =
            [
                Request(), Approve(), new ActivateElevation(Grant, "system", At(10)), new RevokeElevation(Grant, Org, Role.Admin, "done", "ada", At(20)),
                new CloseOutElevation(Grant, "system", At(20)),
            ],
        ["two approvals, active, policy disabled"] =
        [
            Request(policy: TwoApprovals), Approve(), Approve(by: "olga", role: Role.Owner, at: 7), new ActivateElevation(Grant, "system", At(8)),
            new EndElevationForDisabledPolicy(Grant, "alice", At(20)),
        ],
        ["approved, activation failed for good"] = [Request(), Approve(), new AbandonActivation(Grant, "system", At(9))],
        ["policy disabled while pending"] = [Request(), new EndElevationForDisabledPolicy(Grant, "alice", At(2))],
        ["policy disabled between approval and activation"] = [Request(), Approve(), new EndElevationForDisabledPolicy(Grant, "alice", At(6))],
    };

    /// <summary>Every way a grant can end, after which everything that could end it again.</summary>
    private static readonly IElevationCommand[] Endings =
    [
        new DenyElevation(Grant, Org, Role.Owner, "late", "olga", At(500)),
        new RevokeElevation(Grant, Org, Role.Owner, "late", "olga", At(500)),
        new ExpirePendingElevation(Grant, "system", At(500)),
        new CloseOutElevation(Grant, "system", At(500)),
        new EndElevationForDisabledPolicy(Grant, "alice", At(500)),
        new ActivateElevation(Grant, "system", At(500)),
        new AbandonActivation(Grant, "system", At(500)),
        Approve(by: "olga", role: Role.Owner, at: 500),
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_path_ends_in_exactly_one_terminal_event(string path)
    {
        RootElevation? state = null;
        var endings = 0;
        foreach (var command in PathsByName[path])
        {
            var decision = ElevationDecider.Decide(command, state);
            Assert.False(decision.IsRejected, $"{command.GetType().Name}: {decision.Rejection?.Message}");
            foreach (var e in decision.Events.Cast<IElevationEvent>())
            {
                var before = state?.IsFinal ?? false;
                state = RootElevation.Evolve(state, e);
                endings += !before && state!.IsFinal ? 1 : 0;
            }
        }

        Assert.Equal(1, endings);
        Assert.True(state!.IsFinal);
        // Nothing reopens or ends a grant twice: each further command is a no-op or a refusal.
        Assert.All(Endings, c => Assert.Empty(ElevationDecider.Decide(c, state).Events));
    }

    [Fact]
    public void Summaries_keep_the_reason_and_the_terms()
    {
        Assert.Equal($"dev requested BreakGlass root on workspace {Ws} for 30 min (INC-1): {Reason}", Requested(ticket: "INC-1").Describe());
        Assert.Equal("ada approved root elevation (1 of 2) for 15 min", Approved(window: TimeSpan.FromMinutes(15), required: 2).Describe());
    }
}
