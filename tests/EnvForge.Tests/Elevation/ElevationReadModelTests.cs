using System.Net;
using EnvForge.Api.Elevation;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// The elevation read models (<see cref="ElevationRecord"/>, inline) as approvers, support staff and auditors read them:
/// what is pending, and the history per workspace, requester and approver, kept after each grant ends.
/// </summary>
public sealed class ElevationReadModelTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private readonly RecordingElevationWorkflows _workflows = new();

    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(_workflows));

    private Task<ElevationOrg> OrgAsync(string name = "acme", object? policy = null) => ElevationOrg.CreateAsync(Api, name, policy ?? ElevationOrg.Policy());

    private static async Task<ElevationPage> PageAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return await response.ReadAsync<ElevationPage>();
    }

    /// <summary>Follows the cursors to the end, asserting every page but the last is full.</summary>
    private static async Task<(List<Guid> Ids, int Pages)> AllPagesAsync(HttpClient client, string url, int limit)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var separator = url.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await PageAsync(client, $"{url}{separator}limit={limit}" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages++;
            if (page.NextCursor is not null)
            {
                Assert.Equal(limit, page.Items.Count);
            }

            ids.AddRange(page.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return (ids, pages);
    }

    [Fact]
    public async Task Pending_lists_the_orgs_undecided_requests_oldest_first()
    {
        var org = await OrgAsync(policy: ElevationOrg.Policy(approvalsRequired: 2));
        var other = await OrgAsync("globex");
        var first = await org.RequestAsync();
        var approved = await org.RequestAsync(by: org.Admin);
        await (await org.ApproveAsync(approved.Id, org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.ApproveAsync(approved.Id, org.SecondAdmin)).AssertStatusAsync(HttpStatusCode.OK);
        var halfApproved = await org.RequestAsync();
        await (await org.ApproveAsync(halfApproved.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var denied = await org.RequestAsync();
        await (await org.DenyAsync(denied.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await org.RequestAsync();
        await (await org.RevokeAsync(revoked.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        var last = await org.RequestAsync(by: org.Owner);
        await other.RequestAsync();

        var pending = await PageAsync(org.As(org.Admin), $"/orgs/{org.Id}/elevations/pending");

        Assert.Equal([first.Id, halfApproved.Id, last.Id], pending.Items.Select(g => g.Id));
        Assert.All(pending.Items, g => Assert.Equal(ElevationStatus.Pending, g.Status));
        Assert.Equal([org.Admin], pending.Items[1].Approvals.Select(a => a.Approver));
        Assert.Null(pending.NextCursor);
        Assert.True(pending.Items.Select(g => g.RequestedAt).SequenceEqual(pending.Items.Select(g => g.RequestedAt).Order()));

        var theirs = await PageAsync(other.As(other.Admin), $"/orgs/{other.Id}/elevations/pending");
        Assert.Single(theirs.Items);
        Assert.DoesNotContain(theirs.Items, g => g.OrgId == org.Id);
    }

    [Fact]
    public async Task Pending_pages_with_a_cursor_without_duplicates_or_gaps()
    {
        var org = await OrgAsync();
        var requested = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            requested.Add((await org.RequestAsync(by: i % 2 == 0 ? org.Developer : org.Admin)).Id);
        }

        var admin = org.As(org.Owner);
        var (ids, pages) = await AllPagesAsync(admin, $"/orgs/{org.Id}/elevations/pending", limit: 3);
        Assert.Equal(requested, ids);
        Assert.Equal(3, pages);

        // A page size that divides the count exactly ends without an empty page.
        (ids, pages) = await AllPagesAsync(admin, $"/orgs/{org.Id}/elevations/pending", limit: 7);
        Assert.Equal(requested, ids);
        Assert.Equal(1, pages);

        // Keyset pages stay right while the list changes between them: a decided request drops out, a new one is appended.
        var firstPage = await PageAsync(admin, $"/orgs/{org.Id}/elevations/pending?limit=3");
        await (await org.DenyAsync(requested[4], org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.DenyAsync(requested[0], org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        var newest = await org.RequestAsync();
        var rest = new List<Guid>();
        var cursor = firstPage.NextCursor;
        while (cursor is not null)
        {
            var page = await PageAsync(admin, $"/orgs/{org.Id}/elevations/pending?limit=3&cursor={cursor}");
            rest.AddRange(page.Items.Select(g => g.Id));
            cursor = page.NextCursor;
        }

        Assert.Equal(requested[..3], firstPage.Items.Select(g => g.Id));
        Assert.Equal([requested[3], requested[5], requested[6], newest.Id], rest);
    }

    [Fact]
    public async Task History_is_newest_first_and_filters_by_workspace_requester_approver_and_status()
    {
        var org = await OrgAsync();
        var other = await OrgAsync("globex");
        var secondWorkspace = await org.AddWorkspaceAsync();

        var a = await org.RequestAsync(); // dev, ws1: approved by admin, then active
        await (await org.ApproveAsync(a.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(a.Id, "workflow", DateTimeOffset.UtcNow));
        var b = await org.RequestAsync(by: org.Admin, workspaceId: secondWorkspace); // admin, ws2: approved by owner
        await (await org.ApproveAsync(b.Id, org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        var c = await org.RequestAsync(workspaceId: secondWorkspace); // dev, ws2: denied by admin
        await (await org.DenyAsync(c.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var d = await org.RequestAsync(by: org.Owner); // owner, ws1: pending
        var e = await org.RequestAsync(); // dev, ws1: revoked by the requester
        await (await org.RevokeAsync(e.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        var theirs = await other.RequestAsync();
        await (await other.ApproveAsync(theirs.Id, other.Admin)).AssertStatusAsync(HttpStatusCode.OK);

        var reader = org.As(org.Support);
        async Task<List<Guid>> HistoryAsync(string query = "") => [.. (await PageAsync(reader, $"/orgs/{org.Id}/elevations{query}")).Items.Select(g => g.Id)];

        Assert.Equal([e.Id, d.Id, c.Id, b.Id, a.Id], await HistoryAsync());
        Assert.Equal([e.Id, d.Id, a.Id], await HistoryAsync($"?workspaceId={org.WorkspaceId}"));
        Assert.Equal([c.Id, b.Id], await HistoryAsync($"?workspaceId={secondWorkspace}"));
        Assert.Empty(await HistoryAsync($"?workspaceId={other.WorkspaceId}"));
        Assert.Equal([e.Id, c.Id, a.Id], await HistoryAsync($"?requester={org.Developer}"));
        Assert.Equal([b.Id], await HistoryAsync($"?requester={org.Admin}"));
        Assert.Equal([a.Id], await HistoryAsync($"?approver={org.Admin}"));
        Assert.Equal([b.Id], await HistoryAsync($"?approver={org.Owner}"));
        Assert.Empty(await HistoryAsync($"?approver={other.Admin}"));
        Assert.Equal([d.Id], await HistoryAsync("?status=Pending"));
        Assert.Equal([b.Id], await HistoryAsync("?status=Approved"));
        Assert.Equal([a.Id], await HistoryAsync("?status=Active"));
        Assert.Equal([c.Id], await HistoryAsync("?status=denied"));
        Assert.Equal([e.Id], await HistoryAsync("?status=Revoked"));
        Assert.Equal([c.Id], await HistoryAsync($"?requester={org.Developer}&workspaceId={secondWorkspace}&status=Denied"));
        Assert.Equal([e.Id], await HistoryAsync($"?requester={org.Developer}&status=Revoked"));
        Assert.Equal([c.Id], await HistoryAsync($"?requester={org.Developer}&workspaceId={secondWorkspace}"));
        Assert.Empty(await HistoryAsync($"?requester={org.Developer}&status=Approved"));

        // Newest first across pages as well.
        var (paged, pages) = await AllPagesAsync(reader, $"/orgs/{org.Id}/elevations", limit: 2);
        Assert.Equal([e.Id, d.Id, c.Id, b.Id, a.Id], paged);
        Assert.Equal(3, pages);
        (paged, _) = await AllPagesAsync(reader, $"/orgs/{org.Id}/elevations?requester={org.Developer}", limit: 1);
        Assert.Equal([e.Id, c.Id, a.Id], paged);
    }

    [Fact]
    public async Task A_grant_stays_in_the_history_after_it_ends_with_who_why_when_and_how()
    {
        var org = await OrgAsync(policy: ElevationOrg.Policy(approvalsRequired: 2));
        var grant = await org.RequestAsync(windowMinutes: 45, reason: "rotate the host keys");
        await (await org.ApproveAsync(grant.Id, org.Admin, windowMinutes: 30)).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.ApproveAsync(grant.Id, org.Owner)).AssertStatusAsync(HttpStatusCode.OK);
        var activatedAt = DateTimeOffset.UtcNow;
        await org.DecideAsync(new ActivateElevation(grant.Id, "workflow", activatedAt));
        await (await org.RevokeAsync(grant.Id, org.SecondAdmin, "keys rotated")).AssertStatusAsync(HttpStatusCode.OK);
        var closedAt = DateTimeOffset.UtcNow;
        await org.DecideAsync(new CloseOutElevation(grant.Id, "workflow", closedAt));

        var page = await PageAsync(org.As(org.Auditor), $"/orgs/{org.Id}/elevations?requester={org.Developer}&status=ClosedOut");

        var ended = Assert.Single(page.Items);
        Assert.Equal(grant.Id, ended.Id);
        Assert.Equal((org.Developer, "rotate the host keys", org.WorkspaceId), (ended.Requester, ended.Reason, ended.WorkspaceId));
        Assert.Equal([(org.Admin, 30d), (org.Owner, 30d)], ended.Approvals.Select(a => (a.Approver, a.WindowMinutes)));
        Assert.Equal((45d, 30d), (ended.RequestedWindowMinutes, ended.WindowMinutes));
        Assert.Equal(ElevationStatus.ClosedOut, ended.Status);
        Assert.Equal("ClosedOutRevoked", ended.EndedAs);
        Assert.Equal((org.SecondAdmin, "keys rotated"), (ended.RevokedBy, ended.EndReason));
        Assert.Equal(activatedAt, ended.StartedAt);
        Assert.Equal(activatedAt + TimeSpan.FromMinutes(30), ended.ExpiresAt);
        Assert.Equal(closedAt, ended.EndedAt);
        Assert.Equal(closedAt, ended.CredentialsInvalidBefore);
        Assert.Null(ended.DeniedBy);

        // The same grant, read alone and through every filter that names it.
        var one = await (await org.GetAsync(grant.Id, org.Support)).ReadAsync<ElevationResponse>();
        Assert.Equal(("ClosedOutRevoked", closedAt), (one.EndedAs, one.EndedAt));
        Assert.Contains(grant.Id, (await PageAsync(org.As(org.Auditor), $"/orgs/{org.Id}/elevations?approver={org.Owner}")).Items.Select(g => g.Id));
        Assert.Contains(grant.Id, (await PageAsync(org.As(org.Auditor), $"/orgs/{org.Id}/elevations?workspaceId={org.WorkspaceId}")).Items.Select(g => g.Id));
        Assert.DoesNotContain(grant.Id, (await PageAsync(org.As(org.Auditor), $"/orgs/{org.Id}/elevations/pending")).Items.Select(g => g.Id));
    }

    [Fact]
    public async Task Every_way_a_grant_ends_reads_as_one_EndedAs()
    {
        var org = await OrgAsync();
        var now = DateTimeOffset.UtcNow;

        async Task<Guid> ApprovedAsync(bool activate)
        {
            var grant = await org.RequestAsync();
            await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
            if (activate)
            {
                await org.DecideAsync(new ActivateElevation(grant.Id, "workflow", now));
            }

            return grant.Id;
        }

        var denied = await org.RequestAsync();
        await (await org.DenyAsync(denied.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var revoked = await org.RequestAsync();
        await (await org.RevokeAsync(revoked.Id, org.Developer)).AssertStatusAsync(HttpStatusCode.OK);
        var expired = await org.RequestAsync();
        await org.DecideAsync(new ExpirePendingElevation(expired.Id, "workflow", expired.Deadline.AddSeconds(1)));
        var expiredByPolicy = await org.RequestAsync();
        await org.DecideAsync(new EndElevationForDisabledPolicy(expiredByPolicy.Id, "workflow", now));
        var closedOutExpired = await ApprovedAsync(activate: true);
        await org.DecideAsync(new CloseOutElevation(closedOutExpired, "workflow", now.AddHours(2)));
        var closedOutByPolicy = await ApprovedAsync(activate: true);
        await org.DecideAsync(new EndElevationForDisabledPolicy(closedOutByPolicy, "workflow", now));
        var activationFailed = await ApprovedAsync(activate: false);
        await org.DecideAsync(new AbandonActivation(activationFailed, "workflow", now));
        var stillActive = await ApprovedAsync(activate: true);

        var history = (await PageAsync(org.As(org.Viewer), $"/orgs/{org.Id}/elevations")).Items.ToDictionary(g => g.Id);

        Assert.Equal("Denied", history[denied.Id].EndedAs);
        Assert.Equal("Revoked", history[revoked.Id].EndedAs);
        Assert.Equal("Expired", history[expired.Id].EndedAs);
        Assert.Equal("ExpiredPolicyDisabled", history[expiredByPolicy.Id].EndedAs);
        Assert.Equal("ClosedOutExpired", history[closedOutExpired].EndedAs);
        Assert.Equal("ClosedOutPolicyDisabled", history[closedOutByPolicy].EndedAs);
        Assert.Equal("ClosedOutActivationFailed", history[activationFailed].EndedAs);
        Assert.Null(history[stillActive].EndedAs);
        Assert.Null(history[stillActive].EndedAt);
        Assert.All(history.Values.Where(g => g.Id != stillActive), g => Assert.NotNull(g.EndedAt));
    }

    [Fact]
    public async Task Open_grants_are_the_pending_approved_and_active_ones_of_the_org()
    {
        var org = await OrgAsync();
        var other = await OrgAsync("globex");
        var pending = await org.RequestAsync();
        var approved = await org.RequestAsync();
        await (await org.ApproveAsync(approved.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var active = await org.RequestAsync();
        await (await org.ApproveAsync(active.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await org.DecideAsync(new ActivateElevation(active.Id, "workflow", DateTimeOffset.UtcNow));
        // Revoked while active: still open until the workflow has taken root away.
        await (await org.RevokeAsync(active.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        var denied = await org.RequestAsync();
        await (await org.DenyAsync(denied.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await other.RequestAsync();

        await using var session = Api.Store.QuerySession();
        var open = await ElevationHistory.OpenAsync(session, org.Id, CancellationToken.None);

        Assert.Equal([pending.Id, approved.Id, active.Id], open.Select(r => r.Id));
        Assert.Equal(
            [ElevationStatus.Pending, ElevationStatus.Approved, ElevationStatus.Active],
            open.Select(r => r.Status));
        Assert.Equal(org.Admin, open[2].RevokedBy);

        // The query API directly: the same pages the endpoints serve.
        var firstTwo = await ElevationHistory.HistoryAsync(session, org.Id, new ElevationHistoryFilter(), null, 2, CancellationToken.None);
        Assert.Equal([denied.Id, active.Id], firstTwo.Items.Select(r => r.Id));
        Assert.True(Cursor.TryDecode(firstTwo.NextCursor, out string key));
        Assert.Equal(active.Id, Guid.Parse(key));
        var byApprover = await ElevationHistory.HistoryAsync(session, org.Id, new ElevationHistoryFilter(Approver: org.Admin), null, 50, CancellationToken.None);
        Assert.Equal([active.Id, approved.Id], byApprover.Items.Select(r => r.Id));
    }

    public static TheoryData<string> BadQueries => new()
    {
        "?cursor=!!!",
        "?cursor=" + Cursor.Encode("not-a-grant"),
        "?cursor=" + Cursor.Encode(42),
        "?limit=0",
        "?limit=-1",
        "?limit=201",
        "?status=Bogus",
        "?status=3",
        "?status=",
        "?requester=" + new string('u', 300),
        "?approver=" + new string('u', 300),
        "?limit=0&status=Bogus",
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_cursor_limit_status_or_filter_is_a_400_problem(string query)
    {
        var org = await OrgAsync();
        await org.RequestAsync();
        var events = await ElevationOrg.EventCountAsync(Api.Store);

        var problem = await (await org.As(org.Admin).GetAsync($"/orgs/{org.Id}/elevations{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]);

        if (!query.Contains("status", StringComparison.Ordinal) && !query.Contains("requester", StringComparison.Ordinal) && !query.Contains("approver", StringComparison.Ordinal))
        {
            await (await org.As(org.Admin).GetAsync($"/orgs/{org.Id}/elevations/pending{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        }

        Assert.Equal(events, await ElevationOrg.EventCountAsync(Api.Store));
    }
}
