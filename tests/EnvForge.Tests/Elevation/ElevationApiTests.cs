using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EnvForge.Api.Elevation;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// Root elevation over HTTP, with a recording stand-in for the Temporal server: the API records each decision on the
/// grant's stream and then starts or signals the grant's workflow, which is tested by replay elsewhere.
/// </summary>
public sealed class ElevationApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private readonly RecordingElevationWorkflows _workflows = new();

    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(_workflows));

    private Task<ElevationOrg> OrgAsync(string name = "acme", object? policy = null) => ElevationOrg.CreateAsync(Api, name, policy ?? ElevationOrg.Policy());

    private Task<long> EventCountAsync() => ElevationOrg.EventCountAsync(Api.Store);

    private List<ElevationSignal> SignalsFor(Guid grantId) => [.. _workflows.ElevationSignals.Where(s => s.GrantId == grantId).Select(s => s.Signal)];

    // ---- root policy ----

    [Fact]
    public async Task Owners_and_admins_set_the_root_policy_and_every_member_reads_it()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", policy: null);

        var initial = await (await org.As(org.Viewer).GetAsync($"/orgs/{org.Id}/root-policy")).ReadAsync<RootPolicyResponse>();
        Assert.Equal(RootMode.Disabled, initial.Mode);

        var byOwner = await org.SetPolicyAsync(ElevationOrg.Policy("WorkspaceElevation", 240, 2, 30, true), by: org.Owner);
        await byOwner.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(new RootPolicyResponse(RootMode.WorkspaceElevation, 240, 2, 30, true, true), await byOwner.ReadAsync<RootPolicyResponse>());

        var byAdmin = await org.SetPolicyAsync(ElevationOrg.Policy("BreakGlass", 45, 1, 15), by: org.Admin);
        await byAdmin.AssertStatusAsync(HttpStatusCode.OK);
        var version = await org.StreamVersionAsync(org.Id);
        Assert.Equal($"\"{version}\"", byAdmin.Headers.ETag?.Tag);

        var read = await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/root-policy");
        await read.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(new RootPolicyResponse(RootMode.BreakGlass, 45, 1, 15, false, true), await read.ReadAsync<RootPolicyResponse>());
        Assert.Equal($"\"{version}\"", read.Headers.ETag?.Tag);

        // Setting the same policy again changes nothing.
        await (await org.SetPolicyAsync(ElevationOrg.Policy("BreakGlass", 45, 1, 15), by: org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(version, await org.StreamVersionAsync(org.Id));

        await Api.CatchUpAsync();
        var trail = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit?action=organization.root_policy_changed"))
            .ReadAsync<Page<AuditEntry>>();
        Assert.Equal([org.Owner, org.Admin], trail.Items.Select(e => e.Actor));
        Assert.All(trail.Items, e => Assert.Equal(org.Id, e.StreamId));
        Assert.StartsWith("set root policy to WorkspaceElevation: window up to 240 min, 2 approval(s)", trail.Items[0].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_owners_and_admins_set_the_root_policy_and_non_members_get_404()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", policy: null);
        var before = await org.StreamVersionAsync(org.Id);

        foreach (var user in new[] { org.Developer, org.Viewer, org.Support, org.Auditor })
        {
            await (await org.SetPolicyAsync(ElevationOrg.Policy(), by: user)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        await (await org.SetPolicyAsync(ElevationOrg.Policy(), by: "stranger")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await org.As("stranger").GetAsync($"/orgs/{org.Id}/root-policy")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        Assert.Equal(before, await org.StreamVersionAsync(org.Id));
    }

    public static TheoryData<string, HttpStatusCode, string> BadPolicies => new()
    {
        { """{"mode":"BreakGlass","maximumWindowMinutes":60,"approvalsRequired":3}""", HttpStatusCode.UnprocessableEntity, "root_policy.approvals_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":60,"approvalsRequired":0}""", HttpStatusCode.UnprocessableEntity, "root_policy.approvals_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":61,"approvalsRequired":1}""", HttpStatusCode.UnprocessableEntity, "root_policy.window_out_of_range" },
        { """{"mode":"WorkspaceElevation","maximumWindowMinutes":481,"approvalsRequired":1}""", HttpStatusCode.UnprocessableEntity, "root_policy.window_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":4,"approvalsRequired":1}""", HttpStatusCode.UnprocessableEntity, "root_policy.window_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":-5,"approvalsRequired":1}""", HttpStatusCode.UnprocessableEntity, "root_policy.window_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":60,"approvalsRequired":1,"pendingDeadlineMinutes":1}""", HttpStatusCode.UnprocessableEntity, "root_policy.deadline_out_of_range" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":60,"approvalsRequired":1,"pendingDeadlineMinutes":1441}""", HttpStatusCode.UnprocessableEntity, "root_policy.deadline_out_of_range" },
        { """{"mode":"Root","maximumWindowMinutes":60,"approvalsRequired":1}""", HttpStatusCode.BadRequest, "validation" },
        { """{"mode":"1","maximumWindowMinutes":60,"approvalsRequired":1}""", HttpStatusCode.BadRequest, "validation" },
        { """{"mode":1,"maximumWindowMinutes":60,"approvalsRequired":1}""", HttpStatusCode.BadRequest, "malformed_request" },
        { """{"maximumWindowMinutes":60,"approvalsRequired":1}""", HttpStatusCode.BadRequest, "validation" },
        { """{"mode":"BreakGlass","approvalsRequired":1}""", HttpStatusCode.BadRequest, "validation" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":60}""", HttpStatusCode.BadRequest, "validation" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":60,"approvalsRequired":1,"approvers":["me"]}""", HttpStatusCode.BadRequest, "malformed_request" },
        { """{"mode":"BreakGlass","maximumWindowMinutes":"sixty","approvalsRequired":1}""", HttpStatusCode.BadRequest, "malformed_request" },
        { """mode=BreakGlass""", HttpStatusCode.BadRequest, "malformed_request" },
        { """null""", HttpStatusCode.BadRequest, "malformed_request" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public async Task An_invalid_root_policy_is_a_problem_and_appends_nothing(string body, HttpStatusCode status, string code)
    {
        var org = await OrgAsync();
        var before = await EventCountAsync();

        var request = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org.Id}/root-policy")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        await (await org.As(org.Owner).SendAsync(request)).AssertProblemAsync(status, code);

        Assert.Equal(before, await EventCountAsync());
        var policy = await (await org.As(org.Owner).GetAsync($"/orgs/{org.Id}/root-policy")).ReadAsync<RootPolicyResponse>();
        Assert.Equal(RootMode.BreakGlass, policy.Mode);
    }

    // ---- request ----

    [Fact]
    public async Task A_request_is_202_with_its_location_records_the_request_and_starts_one_workflow()
    {
        var org = await OrgAsync(policy: ElevationOrg.Policy("BreakGlass", 60, 1, 20));

        var response = await org.PostRequestAsync(windowMinutes: 30, reason: "  debug the kernel module  ", ticketReference: "INC-42");

        await response.AssertStatusAsync(HttpStatusCode.Accepted);
        var grant = await response.ReadAsync<ElevationResponse>();
        Assert.Equal($"/orgs/{org.Id}/elevations/{grant.Id}", response.Headers.Location?.ToString());
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(ElevationStatus.Pending, grant.Status);
        Assert.Equal((org.Id, org.WorkspaceId, org.Developer, "debug the kernel module", "INC-42"), (grant.OrgId, grant.WorkspaceId, grant.Requester, grant.Reason, grant.TicketReference));
        Assert.Equal((RootMode.BreakGlass, 30d, 30d, 1), (grant.Mode, grant.RequestedWindowMinutes, grant.WindowMinutes, grant.ApprovalsRequired));
        Assert.Empty(grant.Approvals);
        Assert.Equal(7, grant.Id.Version);

        var stream = await org.StreamAsync(grant.Id);
        var requested = Assert.IsType<ElevationRequested>(Assert.Single(stream).Data);
        Assert.Equal(requested.At + TimeSpan.FromMinutes(20), requested.Deadline);
        Assert.Equal(requested.Deadline, grant.Deadline);

        var started = Assert.Single(_workflows.Elevations, e => e.GrantId == grant.Id);
        Assert.Equal(new ElevationInput(grant.Id, org.Id, org.WorkspaceId, requested.Deadline.UtcDateTime), started);
        Assert.Equal(DateTimeKind.Utc, started.Deadline.Kind);

        var read = await org.GetAsync(grant.Id, org.Developer);
        await read.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        Assert.Equal(JsonSerializer.Serialize(grant, Http.Json), JsonSerializer.Serialize(await read.ReadAsync<ElevationResponse>(), Http.Json));
    }

    [Fact]
    public async Task Owners_and_admins_may_request_root_too()
    {
        var org = await OrgAsync();
        Assert.Equal(org.Owner, (await org.RequestAsync(by: org.Owner)).Requester);
        Assert.Equal(org.Admin, (await org.RequestAsync(by: org.Admin)).Requester);
    }

    [Fact]
    public async Task Refused_requests_are_problems_that_append_nothing_and_start_nothing()
    {
        var acme = await OrgAsync("acme", ElevationOrg.Policy("BreakGlass", 60));
        var disabled = await ElevationOrg.CreateAsync(Api, "initech", policy: null);
        var ticketed = await OrgAsync("globex", ElevationOrg.Policy("WorkspaceElevation", 240, ticketReferenceRequired: true));
        var events = await EventCountAsync();
        var starts = _workflows.Elevations.Count;

        var refusals = new (Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status, string Code)[]
        {
            (() => disabled.PostRequestAsync(), HttpStatusCode.Conflict, "elevation.policy_disabled"),
            (() => acme.PostRequestAsync(mode: "WorkspaceElevation"), HttpStatusCode.UnprocessableEntity, "elevation.mode_not_allowed"),
            (() => acme.PostRequestAsync(windowMinutes: 61), HttpStatusCode.UnprocessableEntity, "elevation.window_exceeds_policy"),
            (() => acme.PostRequestAsync(windowMinutes: 4), HttpStatusCode.UnprocessableEntity, "elevation.window_too_short"),
            (() => ticketed.PostRequestAsync(mode: "WorkspaceElevation"), HttpStatusCode.UnprocessableEntity, "elevation.ticket_reference_required"),
            (() => acme.PostRequestAsync(workspaceId: ticketed.WorkspaceId), HttpStatusCode.NotFound, "elevation.workspace_not_found"),
            (() => acme.PostRequestAsync(workspaceId: Guid.CreateVersion7()), HttpStatusCode.NotFound, "elevation.workspace_not_found"),
            (() => acme.PostRequestAsync(by: acme.Viewer), HttpStatusCode.Forbidden, "forbidden"),
            (() => acme.PostRequestAsync(by: acme.Support), HttpStatusCode.Forbidden, "forbidden"),
            (() => acme.PostRequestAsync(by: acme.Auditor), HttpStatusCode.Forbidden, "forbidden"),
            (() => acme.PostRequestAsync(by: "stranger"), HttpStatusCode.NotFound, "organization.not_found"),
            (() => acme.PostRequestAsync(by: ticketed.Developer), HttpStatusCode.NotFound, "organization.not_found"),
        };

        foreach (var (send, status, code) in refusals)
        {
            await (await send()).AssertProblemAsync(status, code);
        }

        Assert.Equal(events, await EventCountAsync());
        Assert.Equal(starts, _workflows.Elevations.Count);
    }

    public static TheoryData<string, string, string> BadRequests => new()
    {
        { """{"mode":"BreakGlass","windowMinutes":30}""", "application/json", "validation" },
        { """{"mode":"BreakGlass","windowMinutes":30,"reason":"   "}""", "application/json", "validation" },
        { $$"""{"mode":"BreakGlass","windowMinutes":30,"reason":"{{new string('r', 501)}}"}""", "application/json", "validation" },
        { $$"""{"mode":"BreakGlass","windowMinutes":30,"reason":"x","ticketReference":"{{new string('t', 201)}}"}""", "application/json", "validation" },
        { """{"windowMinutes":30,"reason":"x"}""", "application/json", "validation" },
        { """{"mode":"breakglass","windowMinutes":30,"reason":"x"}""", "application/json", "validation" },
        { """{"mode":"2","windowMinutes":30,"reason":"x"}""", "application/json", "validation" },
        { """{"mode":1,"windowMinutes":30,"reason":"x"}""", "application/json", "malformed_request" },
        { """{"mode":"BreakGlass","reason":"x"}""", "application/json", "validation" },
        { """{"mode":"BreakGlass","windowMinutes":0,"reason":"x"}""", "application/json", "validation" },
        { """{"mode":"BreakGlass","windowMinutes":1e9,"reason":"x"}""", "application/json", "malformed_request" },
        { """{"mode":"BreakGlass","windowMinutes":30,"reason":"x","approvedBy":"me"}""", "application/json", "malformed_request" },
        { """{"mode":"BreakGlass","windowMinutes":30,"reason":"x","requester":"someone-else"}""", "application/json", "malformed_request" },
        { """{"mode":"BreakGlass","windowMinutes":30,"reason":""", "application/json", "malformed_request" },
        { """not json""", "application/json", "malformed_request" },
        { """[]""", "application/json", "malformed_request" },
        { """{"mode":"BreakGlass","windowMinutes":30,"reason":"x"}""", "text/plain", "unsupported_media_type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_requests_are_problems_that_append_nothing(string body, string contentType, string code)
    {
        var org = await OrgAsync();
        var events = await EventCountAsync();
        var starts = _workflows.Elevations.Count;

        var response = await org.As(org.Developer).PostRawAsync($"/orgs/{org.Id}/workspaces/{org.WorkspaceId}/elevations", body, contentType);

        await response.AssertProblemAsync(code == "unsupported_media_type" ? HttpStatusCode.UnsupportedMediaType : HttpStatusCode.BadRequest, code);
        Assert.Equal(events, await EventCountAsync());
        Assert.Equal(starts, _workflows.Elevations.Count);
    }

    // ---- who decides ----

    [Fact]
    public async Task Requester_cannot_approve_or_deny_own_request_even_as_admin()
    {
        var org = await OrgAsync();

        foreach (var requester in new[] { org.Admin, org.Owner })
        {
            var grant = await org.RequestAsync(by: requester);

            await (await org.ApproveAsync(grant.Id, requester)).AssertProblemAsync(HttpStatusCode.Forbidden, "elevation.requester_cannot_approve");
            await (await org.ApproveAsync(grant.Id, requester, windowMinutes: 10)).AssertProblemAsync(HttpStatusCode.Forbidden, "elevation.requester_cannot_approve");
            await (await org.DenyAsync(grant.Id, requester)).AssertProblemAsync(HttpStatusCode.Forbidden, "elevation.requester_cannot_approve");

            Assert.Equal(1, await org.StreamVersionAsync(grant.Id));
            Assert.Empty(SignalsFor(grant.Id));
            Assert.Equal(ElevationStatus.Pending, (await org.RecordAsync(grant.Id))!.Status);
        }
    }

    [Fact]
    public async Task Only_owners_and_admins_decide_and_only_the_requester_or_approvers_revoke()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();

        foreach (var user in new[] { org.Viewer, org.Support, org.Auditor })
        {
            await (await org.ApproveAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.Forbidden, "organization.not_allowed");
            await (await org.DenyAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.Forbidden, "organization.not_allowed");
            await (await org.RevokeAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.Forbidden, "elevation.not_allowed_to_revoke");
        }

        // A developer other than the requester.
        var other = await org.RequestAsync(by: org.Admin);
        await (await org.ApproveAsync(other.Id, org.Developer)).AssertProblemAsync(HttpStatusCode.Forbidden, "organization.not_allowed");
        await (await org.RevokeAsync(other.Id, org.Developer)).AssertProblemAsync(HttpStatusCode.Forbidden, "elevation.not_allowed_to_revoke");

        Assert.Equal(1, await org.StreamVersionAsync(grant.Id));
        Assert.Equal(1, await org.StreamVersionAsync(other.Id));
        Assert.Empty(SignalsFor(grant.Id));
        Assert.Empty(SignalsFor(other.Id));
    }

    [Fact]
    public async Task An_admin_of_another_org_gets_404_for_every_grant_route_and_changes_nothing()
    {
        var acme = await OrgAsync("acme");
        var globex = await OrgAsync("globex");
        var grant = await acme.RequestAsync();
        var events = await EventCountAsync();

        var intruder = globex.Admin;
        // Through the other org's own routes, the grant does not exist there.
        await (await acme.ApproveAsync(grant.Id, intruder, inOrg: globex.Id)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");
        await (await acme.DenyAsync(grant.Id, intruder, inOrg: globex.Id)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");
        await (await acme.RevokeAsync(grant.Id, intruder, inOrg: globex.Id)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");
        await (await acme.GetAsync(grant.Id, intruder, inOrg: globex.Id)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");

        // Through the grant's org, which the intruder is not a member of: the same 404 as an org that does not exist.
        foreach (var user in new[] { intruder, "stranger" })
        {
            await (await acme.ApproveAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
            await (await acme.DenyAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
            await (await acme.RevokeAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
            await (await acme.GetAsync(grant.Id, user)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
            await (await acme.As(user).GetAsync($"/orgs/{acme.Id}/elevations")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
            await (await acme.As(user).GetAsync($"/orgs/{acme.Id}/elevations/pending")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        }

        // Unknown grants read like another org's.
        await (await acme.ApproveAsync(Guid.CreateVersion7(), acme.Admin)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");
        await (await acme.GetAsync(Guid.CreateVersion7(), acme.Admin)).AssertProblemAsync(HttpStatusCode.NotFound, "elevation.not_found");

        Assert.Equal(events, await EventCountAsync());
        Assert.Equal(1, await acme.StreamVersionAsync(grant.Id));
        Assert.Empty(SignalsFor(grant.Id));
        var globexPending = await (await globex.As(globex.Admin).GetAsync($"/orgs/{globex.Id}/elevations/pending")).ReadAsync<ElevationPage>();
        Assert.Empty(globexPending.Items);
    }

    // ---- approve, deny, revoke ----

    [Fact]
    public async Task One_approval_completes_a_one_approval_grant_and_signals_the_workflow()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();

        var response = await org.ApproveAsync(grant.Id, org.Admin);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        var approved = await response.ReadAsync<ElevationResponse>();
        Assert.Equal(ElevationStatus.Approved, approved.Status);
        Assert.Equal([org.Admin], approved.Approvals.Select(a => a.Approver));
        Assert.Equal(30, approved.Approvals[0].WindowMinutes);
        var e = Assert.IsType<ElevationApproved>((await org.StreamAsync(grant.Id))[1].Data);
        Assert.Equal((org.Admin, 1, 1, TimeSpan.FromMinutes(30)), (e.Approver, e.ApprovalsGiven, e.ApprovalsRequired, e.Window));
        Assert.Equal([new ElevationSignal.Approved(org.Admin, Complete: true)], SignalsFor(grant.Id));

        // Approving again (a retried click) changes nothing and signals nothing.
        await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(2, await org.StreamVersionAsync(grant.Id));
        Assert.Single(SignalsFor(grant.Id));

        // Fully approved: nothing left to approve or deny.
        await (await org.ApproveAsync(grant.Id, org.SecondAdmin)).AssertProblemAsync(HttpStatusCode.Conflict, "elevation.wrong_state");
        await (await org.DenyAsync(grant.Id, org.SecondAdmin)).AssertProblemAsync(HttpStatusCode.Conflict, "elevation.wrong_state");
        Assert.Equal(2, await org.StreamVersionAsync(grant.Id));
    }

    [Fact]
    public async Task A_two_approval_grant_needs_two_distinct_approvers()
    {
        var org = await OrgAsync(policy: ElevationOrg.Policy("WorkspaceElevation", 240, approvalsRequired: 2));
        var grant = await org.PostRequestAsync(mode: "WorkspaceElevation", windowMinutes: 120);
        var grantId = (await grant.ReadAsync<ElevationResponse>()).Id;

        var first = await org.ApproveAsync(grantId, org.Admin);
        await first.AssertStatusAsync(HttpStatusCode.OK);
        var afterFirst = await first.ReadAsync<ElevationResponse>();
        Assert.Equal(ElevationStatus.Pending, afterFirst.Status);
        Assert.Equal(2, afterFirst.ApprovalsRequired);
        Assert.Equal([new ElevationSignal.Approved(org.Admin, Complete: false)], SignalsFor(grantId));

        // The same approver counts once: no second event, no signal, still pending.
        var again = await org.ApproveAsync(grantId, org.Admin);
        await again.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(ElevationStatus.Pending, (await again.ReadAsync<ElevationResponse>()).Status);
        Assert.Equal(2, await org.StreamVersionAsync(grantId));
        Assert.Single(SignalsFor(grantId));
        var pending = await (await org.As(org.Owner).GetAsync($"/orgs/{org.Id}/elevations/pending")).ReadAsync<ElevationPage>();
        Assert.Contains(pending.Items, g => g.Id == grantId);

        var second = await org.ApproveAsync(grantId, org.Owner);
        await second.AssertStatusAsync(HttpStatusCode.OK);
        var complete = await second.ReadAsync<ElevationResponse>();
        Assert.Equal(ElevationStatus.Approved, complete.Status);
        Assert.Equal([org.Admin, org.Owner], complete.Approvals.Select(a => a.Approver));
        Assert.Equal(
            [new ElevationSignal.Approved(org.Admin, Complete: false), new ElevationSignal.Approved(org.Owner, Complete: true)],
            SignalsFor(grantId));
        Assert.Equal(
            [typeof(ElevationRequested), typeof(ElevationApproved), typeof(ElevationApproved)],
            (await org.StreamAsync(grantId)).Select(e => e.Data.GetType()));
        pending = await (await org.As(org.Owner).GetAsync($"/orgs/{org.Id}/elevations/pending")).ReadAsync<ElevationPage>();
        Assert.DoesNotContain(pending.Items, g => g.Id == grantId);
    }

    [Fact]
    public async Task An_approval_may_shorten_the_window_but_never_lengthen_it()
    {
        var org = await OrgAsync();
        var longer = await org.RequestAsync(windowMinutes: 30);

        await (await org.ApproveAsync(longer.Id, org.Admin, windowMinutes: 45)).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "elevation.window_cannot_grow");
        await (await org.ApproveAsync(longer.Id, org.Admin, windowMinutes: 4)).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "elevation.window_too_short");
        await (await org.ApproveAsync(longer.Id, org.Admin, windowMinutes: 0)).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await org.As(org.Admin).PostRawAsync($"/orgs/{org.Id}/elevations/{longer.Id}/approve", """{"windowMinutes":10,"mode":"BreakGlass"}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(1, await org.StreamVersionAsync(longer.Id));
        Assert.Empty(SignalsFor(longer.Id));

        var response = await org.ApproveAsync(longer.Id, org.Admin, windowMinutes: 10);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var approved = await response.ReadAsync<ElevationResponse>();
        Assert.Equal((30d, 10d), (approved.RequestedWindowMinutes, approved.WindowMinutes));
        Assert.Equal(TimeSpan.FromMinutes(10), Assert.IsType<ElevationApproved>((await org.StreamAsync(longer.Id))[1].Data).Window);
    }

    [Fact]
    public async Task Deny_ends_the_request_with_the_approvers_reason()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();

        await (await org.As(org.Admin).PostJsonAsync($"/orgs/{org.Id}/elevations/{grant.Id}/deny", new { })).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        var response = await org.DenyAsync(grant.Id, org.Admin, "not during the freeze");

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var denied = await response.ReadAsync<ElevationResponse>();
        Assert.Equal((ElevationStatus.Denied, "Denied", org.Admin, "not during the freeze"), (denied.Status, denied.EndedAs, denied.DeniedBy, denied.EndReason));
        Assert.NotNull(denied.EndedAt);
        Assert.Equal([new ElevationSignal.Denied(org.Admin)], SignalsFor(grant.Id));

        // A repeated deny changes nothing; approving or revoking the ended grant changes nothing either.
        await (await org.DenyAsync(grant.Id, org.SecondAdmin)).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.ApproveAsync(grant.Id, org.SecondAdmin)).AssertProblemAsync(HttpStatusCode.Conflict, "elevation.wrong_state");
        await (await org.RevokeAsync(grant.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(2, await org.StreamVersionAsync(grant.Id));
        Assert.Single(SignalsFor(grant.Id));
    }

    [Fact]
    public async Task The_requester_or_an_approver_revokes_a_pending_or_approved_grant()
    {
        var org = await OrgAsync();
        var pending = await org.RequestAsync();
        var approved = await org.RequestAsync();
        await (await org.ApproveAsync(approved.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);

        var byRequester = await org.RevokeAsync(pending.Id, org.Developer, "fixed it without root");
        await byRequester.AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await byRequester.ReadAsync<ElevationResponse>();
        Assert.Equal((ElevationStatus.Revoked, "Revoked", org.Developer, "fixed it without root"), (revoked.Status, revoked.EndedAs, revoked.RevokedBy, revoked.EndReason));
        Assert.Equal([new ElevationSignal.Revoked(org.Developer)], SignalsFor(pending.Id));

        var byOwner = await org.RevokeAsync(approved.Id, org.Owner);
        await byOwner.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(ElevationStatus.Revoked, (await byOwner.ReadAsync<ElevationResponse>()).Status);
        Assert.Equal([new ElevationSignal.Approved(org.Admin, true), new ElevationSignal.Revoked(org.Owner)], SignalsFor(approved.Id));

        await (await org.As(org.Developer).PostJsonAsync($"/orgs/{org.Id}/elevations/{approved.Id}/revoke", new { reason = "" }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await org.RevokeAsync(approved.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, await org.StreamVersionAsync(approved.Id));
        Assert.Equal(2, SignalsFor(approved.Id).Count);
    }

    [Fact]
    public async Task Revoking_an_active_grant_keeps_it_active_until_the_workflow_closes_it_out()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();
        await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(grant.Id, "workflow", DateTimeOffset.UtcNow));

        var response = await org.RevokeAsync(grant.Id, org.Admin, "incident over");

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await response.ReadAsync<ElevationResponse>();
        Assert.Equal((ElevationStatus.Active, org.Admin), (revoked.Status, revoked.RevokedBy));
        Assert.Equal(new ElevationSignal.Revoked(org.Admin), SignalsFor(grant.Id)[^1]);
        await (await org.RevokeAsync(grant.Id, org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(4, await org.StreamVersionAsync(grant.Id));
    }

    [Fact]
    public async Task If_Match_is_honoured_on_decisions()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();

        var stale = new HttpRequestMessage(HttpMethod.Post, $"/orgs/{org.Id}/elevations/{grant.Id}/approve") { Content = JsonContent.Create(new { }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"7\""));
        await (await org.As(org.Admin).SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");

        var bad = new HttpRequestMessage(HttpMethod.Post, $"/orgs/{org.Id}/elevations/{grant.Id}/approve") { Content = JsonContent.Create(new { }) };
        bad.Headers.TryAddWithoutValidation("If-Match", "yesterday");
        await (await org.As(org.Admin).SendAsync(bad)).AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_if_match");
        Assert.Equal(1, await org.StreamVersionAsync(grant.Id));

        var current = new HttpRequestMessage(HttpMethod.Post, $"/orgs/{org.Id}/elevations/{grant.Id}/approve") { Content = JsonContent.Create(new { }) };
        current.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        var ok = await org.As(org.Admin).SendAsync(current);
        await ok.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", ok.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Concurrent_approve_and_revoke_always_end_in_one_consistent_state()
    {
        var org = await OrgAsync();

        for (var round = 0; round < 10; round++)
        {
            var grant = await org.RequestAsync();
            var revoker = round % 2 == 0 ? org.Developer : org.Owner;

            var answers = await Task.WhenAll(org.ApproveAsync(grant.Id, org.Admin), org.RevokeAsync(grant.Id, revoker));
            var (approve, revoke) = (answers[0], answers[1]);

            // Exactly one end, and it is the revoke: Revoked, or Approved then Revoked; never an approval after it.
            var events = (await org.StreamAsync(grant.Id)).Select(e => e.Data).ToList();
            var story = $"round {round}: approve {(int)approve.StatusCode}, revoke {(int)revoke.StatusCode}, stream [{string.Join(", ", events.Select(e => e.GetType().Name))}]";
            Assert.True(events is [ElevationRequested, ElevationRevoked] or [ElevationRequested, ElevationApproved, ElevationRevoked], story);
            await revoke.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Equal($"\"{events.Count}\"", revoke.Headers.ETag?.Tag);
            Assert.Equal(ElevationStatus.Revoked, (await revoke.ReadAsync<ElevationResponse>()).Status);
            var record = (await org.RecordAsync(grant.Id))!;
            Assert.Equal((ElevationStatus.Revoked, false, revoker), (record.Status, record.IsOpen, record.RevokedBy));

            if (events.Count == 2)
            {
                // The revoke landed first: the approval came too late, says so, and signals nothing.
                await approve.AssertProblemAsync(HttpStatusCode.Conflict, "elevation.wrong_state");
                Assert.Equal([new ElevationSignal.Revoked(revoker)], SignalsFor(grant.Id));
                Assert.Empty(record.Approvals);
            }
            else
            {
                await approve.AssertStatusAsync(HttpStatusCode.OK);
                Assert.Equal(org.Admin, Assert.IsType<ElevationApproved>(events[1]).Approver);
                // Each request signals after its own append, so the two signals may arrive in either order.
                var signals = SignalsFor(grant.Id);
                Assert.Equal(2, signals.Count);
                Assert.Equal(
                    new HashSet<ElevationSignal> { new ElevationSignal.Approved(org.Admin, Complete: true), new ElevationSignal.Revoked(revoker) },
                    signals.ToHashSet());
                Assert.Equal([org.Admin], record.Approvers);
            }
        }
    }

    // ---- disabling root ----

    [Fact]
    public async Task Disabling_root_signals_every_open_grant_and_no_ended_one()
    {
        var org = await OrgAsync();
        var other = await OrgAsync("globex");
        var pending = await org.RequestAsync();
        var approved = await org.RequestAsync();
        await (await org.ApproveAsync(approved.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var active = await org.RequestAsync();
        await (await org.ApproveAsync(active.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(active.Id, "workflow", DateTimeOffset.UtcNow));
        var denied = await org.RequestAsync();
        await (await org.DenyAsync(denied.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await org.RequestAsync();
        await (await org.RevokeAsync(revoked.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        var elsewhere = await other.RequestAsync();
        var signalsBefore = _workflows.ElevationSignals.Count;

        var response = await org.SetPolicyAsync(ElevationOrg.Policy("Disabled", 60), by: org.Admin);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var policy = await response.ReadAsync<RootPolicyResponse>();
        Assert.Equal((RootMode.Disabled, 3), (policy.Mode, policy.ClosingOut));
        var sent = _workflows.ElevationSignals.Skip(signalsBefore).ToList();
        Assert.Equal(
            new[] { pending.Id, approved.Id, active.Id }.Order(),
            sent.Select(s => s.GrantId).Order());
        Assert.All(sent, s => Assert.Equal(new ElevationSignal.PolicyDisabled(org.Admin), s.Signal));
        Assert.DoesNotContain(sent, s => s.GrantId == elsewhere.Id);

        // The API records the policy; each grant's workflow records its own end. New requests are refused at once.
        Assert.Equal(1, await org.StreamVersionAsync(pending.Id));
        await (await org.PostRequestAsync()).AssertProblemAsync(HttpStatusCode.Conflict, "elevation.policy_disabled");
        Assert.Equal(RootMode.Disabled, (await (await org.As(org.Viewer).GetAsync($"/orgs/{org.Id}/root-policy")).ReadAsync<RootPolicyResponse>()).Mode);
    }

    // ---- reading one grant ----

    [Fact]
    public async Task Reading_a_grant_shows_the_workflow_progress_when_the_workflow_answers()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();
        await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);

        var unknown = await (await org.GetAsync(grant.Id, org.Admin)).ReadAsync<ElevationResponse>();
        Assert.Null(unknown.Workflow);

        var progress = new ElevationProgress(ElevationPhase.Activating, [org.Admin], grant.Deadline.UtcDateTime, null, null, false, null);
        _workflows.ElevationProgress[grant.Id] = progress;
        var response = await org.GetAsync(grant.Id, org.Admin);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        var read = await response.ReadAsync<ElevationResponse>();
        Assert.NotNull(read.Workflow);
        Assert.Equal((ElevationPhase.Activating, grant.Deadline.UtcDateTime), (read.Workflow.Phase, read.Workflow.Deadline));
        Assert.Equal([org.Admin], read.Workflow.Approvers);
        Assert.Equal(ElevationStatus.Approved, read.Status);
    }

    [Fact]
    public async Task Every_member_who_sees_workspaces_or_the_audit_trail_reads_grants_and_no_response_holds_a_secret()
    {
        var org = await OrgAsync();
        var grant = await org.RequestAsync();
        await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(grant.Id, "workflow", DateTimeOffset.UtcNow));
        var bodies = new List<string>();

        // Viewer and Support see workspaces; Auditor reads the audit trail: every role of the org qualifies.
        foreach (var user in new[] { org.Owner, org.Admin, org.Developer, org.Viewer, org.Support, org.Auditor })
        {
            foreach (var url in new[] { $"/orgs/{org.Id}/elevations/{grant.Id}", $"/orgs/{org.Id}/elevations", $"/orgs/{org.Id}/elevations/pending" })
            {
                var response = await org.As(user).GetAsync(url);
                await response.AssertStatusAsync(HttpStatusCode.OK);
                bodies.Add(await response.Content.ReadAsStringAsync());
            }
        }

        var one = await (await org.GetAsync(grant.Id, org.Auditor)).ReadAsync<ElevationResponse>();
        Assert.Equal(ElevationStatus.Active, one.Status);
        Assert.NotNull(one.StartedAt);
        Assert.All(bodies, body =>
        {
            Assert.DoesNotContain("arn:aws", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("123456789012", body, StringComparison.Ordinal);
            Assert.DoesNotContain("envforge-access", body, StringComparison.Ordinal);
            Assert.DoesNotContain(org.InstanceIds[0], body, StringComparison.Ordinal);
            Assert.DoesNotContain(ElevationOrg.SecretPath, body, StringComparison.Ordinal);
            Assert.DoesNotContain("envforge-", body, StringComparison.Ordinal); // the org's external id
        });
    }

    // ---- the audit trail ----

    [Fact]
    public async Task Every_elevation_event_is_on_the_orgs_audit_trail()
    {
        var org = await OrgAsync();
        var other = await OrgAsync("globex");
        var closedOut = await org.RequestAsync(reason: "patch libc");
        await (await org.ApproveAsync(closedOut.Id, org.Admin, windowMinutes: 20)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(closedOut.Id, "workflow", DateTimeOffset.UtcNow));
        await (await org.RevokeAsync(closedOut.Id, org.Developer, "patched")).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new CloseOutElevation(closedOut.Id, "workflow", DateTimeOffset.UtcNow));
        var denied = await org.RequestAsync();
        await (await org.DenyAsync(denied.Id, org.Owner, "use the staging box")).AssertStatusAsync(HttpStatusCode.OK);
        var expired = await org.RequestAsync();
        await org.DecideAsync(new ExpirePendingElevation(expired.Id, "workflow", expired.Deadline.AddSeconds(1)));
        await other.RequestAsync();

        await Api.CatchUpAsync();

        var all = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit?limit=200")).ReadAsync<Page<AuditEntry>>();
        Assert.All(all.Items, e => Assert.Equal(org.Id, e.OrgId));
        foreach (var grant in new[] { closedOut.Id, denied.Id, expired.Id })
        {
            var stream = await org.StreamAsync(grant);
            var entries = all.Items.Where(e => e.StreamId == grant).ToList();
            Assert.Equal(stream.Select(e => AuditCatalog.ActionOf(e.Data.GetType(), e.EventTypeName)), entries.Select(e => e.Action));
            Assert.Equal(stream.Select(e => e.Sequence), entries.Select(e => e.Sequence));
            Assert.Equal(stream.Select(e => ((IElevationEvent)e.Data).Actor), entries.Select(e => e.Actor));
        }

        var trail = all.Items.Where(e => e.StreamId == closedOut.Id).ToList();
        Assert.Equal(
            ["elevation.requested", "elevation.approved", "elevation.activated", "elevation.revoked", "elevation.closed_out"],
            trail.Select(e => e.Action));
        Assert.Equal($"{org.Developer} requested BreakGlass root on workspace {org.WorkspaceId} for 30 min: patch libc", trail[0].Summary);
        Assert.Equal($"{org.Admin} approved root elevation (1 of 1) for 20 min", trail[1].Summary);
        Assert.Equal($"{org.Developer} revoked root elevation: patched", trail[3].Summary);
        Assert.StartsWith($"closed out root on workspace {org.WorkspaceId} (Revoked)", trail[4].Summary, StringComparison.Ordinal);
        Assert.Contains(all.Items, e => e.StreamId == denied.Id && e.Action == "elevation.denied" && e.Summary == $"{org.Owner} denied root elevation: use the staging box");
        Assert.Contains(all.Items, e => e.StreamId == expired.Id && e.Action == "elevation.expired");

        var byStream = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit?streamId={closedOut.Id}")).ReadAsync<Page<AuditEntry>>();
        Assert.Equal(5, byStream.Items.Count);
    }
}

/// <summary>The same API on a host with no Temporal server (the real launcher): decisions are 503 and change nothing.</summary>
public sealed class ElevationApiWithoutTemporalTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private static readonly RootPolicy BreakGlass = new(RootMode.BreakGlass, TimeSpan.FromHours(1), 1, TimeSpan.FromHours(1));

    private static async Task AssertTemporalUnavailableAsync(HttpResponseMessage response)
    {
        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "temporal_unavailable");
        Assert.Contains("Temporal", (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_approve_deny_and_revoke_are_503_and_append_nothing()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy());
        var grant = await org.SeedGrantAsync(BreakGlass);
        var events = await ElevationOrg.EventCountAsync(Api.Store);

        await AssertTemporalUnavailableAsync(await org.PostRequestAsync());
        await AssertTemporalUnavailableAsync(await org.ApproveAsync(grant, org.Admin));
        await AssertTemporalUnavailableAsync(await org.DenyAsync(grant, org.Admin));
        await AssertTemporalUnavailableAsync(await org.RevokeAsync(grant, org.Developer));

        Assert.Equal(events, await ElevationOrg.EventCountAsync(Api.Store));
        Assert.Equal(ElevationStatus.Pending, (await org.RecordAsync(grant))!.Status);

        // Reading still works; with no server to ask there is no workflow progress.
        var read = await org.GetAsync(grant, org.Viewer);
        await read.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Null((await read.ReadAsync<ElevationResponse>()).Workflow);
    }

    [Fact]
    public async Task Disabling_root_with_an_open_grant_is_503_and_leaves_the_policy_on()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy());
        await org.SeedGrantAsync(BreakGlass);
        var version = await org.StreamVersionAsync(org.Id);

        await AssertTemporalUnavailableAsync(await org.SetPolicyAsync(ElevationOrg.Policy("Disabled", 60)));

        Assert.Equal(version, await org.StreamVersionAsync(org.Id));
        var policy = await (await org.As(org.Owner).GetAsync($"/orgs/{org.Id}/root-policy")).ReadAsync<RootPolicyResponse>();
        Assert.Equal(RootMode.BreakGlass, policy.Mode);

        // Other changes need no workflow: they go through.
        await (await org.SetPolicyAsync(ElevationOrg.Policy("BreakGlass", 30))).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Disabling_root_with_no_open_grant_needs_no_workflow()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy());

        var response = await org.SetPolicyAsync(ElevationOrg.Policy("Disabled", 60));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var policy = await response.ReadAsync<RootPolicyResponse>();
        Assert.Equal((RootMode.Disabled, 0), (policy.Mode, policy.ClosingOut));
    }
}
