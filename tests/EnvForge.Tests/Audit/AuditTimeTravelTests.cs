using System.Net;
using System.Text.Json.Nodes;
using EnvForge.Tests.Elevation;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Audit;

/// <summary>Auditors replay a stream's raw events, see any aggregate at a version or a time, and ask what the root policy was when a grant was approved.</summary>
public sealed class AuditTimeTravelTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    private readonly RecordingElevationWorkflows _workflows = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(_workflows));
    }

    [Fact]
    public async Task Raw_events_come_with_versions_sequences_and_metadata()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy());
        var events = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{org.Id}/events")).ReadAsync<JsonArray>();

        Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => (long)e!["version"]!));
        var added = events.First(e => (string?)e!["type"] == "organization.member_added.v1" && (string?)e!["data"]!["userId"] == org.Admin)!;
        Assert.Equal(org.Owner, (string?)added["user"]);
        Assert.Equal("Owner", (string?)added["headers"]!["actor_role"]);
        Assert.False(string.IsNullOrEmpty((string?)added["correlationId"]));
        Assert.True((long)added["sequence"]! > 0);

        var page = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{org.Id}/events?afterVersion=3&limit=2")).ReadAsync<JsonArray>();
        Assert.Equal([4L, 5L], page.Select(e => (long)e!["version"]!));
    }

    [Fact]
    public async Task An_aggregate_reads_as_it_was_at_a_version_and_at_a_time()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", policy: null);
        var before = DateTimeOffset.UtcNow;
        await (await org.SetPolicyAsync(ElevationOrg.Policy(maximumWindowMinutes: 45))).AssertStatusAsync(HttpStatusCode.OK);
        var events = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{org.Id}/events")).ReadAsync<JsonArray>();
        var policyVersion = events.Count;

        var atVersion = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{org.Id}/state?version={policyVersion - 1}")).ReadAsync<JsonObject>();
        var latest = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{org.Id}/state")).ReadAsync<JsonObject>();
        var atTime = await (await org.As(org.Auditor).GetAsync(
            $"/orgs/{org.Id}/audit/streams/{org.Id}/state?at={Uri.EscapeDataString(before.ToString("O"))}")).ReadAsync<JsonObject>();

        Assert.Equal("organization", (string?)latest["kind"]);
        Assert.Equal("Disabled", (string?)atVersion["state"]!["rootPolicy"]!["mode"]);
        Assert.Equal(policyVersion - 1, (long)atVersion["version"]!);
        Assert.Equal("BreakGlass", (string?)latest["state"]!["rootPolicy"]!["mode"]);
        Assert.Equal("Disabled", (string?)atTime["state"]!["rootPolicy"]!["mode"]);
        Assert.True((long)atTime["version"]! < policyVersion);

        var grant = await org.RequestAsync();
        var grantState = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/streams/{grant.Id}/state?version=1")).ReadAsync<JsonObject>();
        Assert.Equal("elevation", (string?)grantState["kind"]);
        Assert.Equal("Pending", (string?)grantState["state"]!["status"]);
    }

    [Fact]
    public async Task The_root_policy_at_the_moment_a_grant_was_approved_is_one_call()
    {
        var org = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy(maximumWindowMinutes: 60));
        var grant = await org.RequestAsync(windowMinutes: 30);
        await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/elevations/{grant.Id}/policy-at-approval"))
            .AssertProblemAsync(HttpStatusCode.Conflict, "audit.grant_not_approved");
        await (await org.SetPolicyAsync(ElevationOrg.Policy(maximumWindowMinutes: 50))).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.ApproveAsync(grant.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
        await (await org.SetPolicyAsync(ElevationOrg.Policy(mode: "WorkspaceElevation", maximumWindowMinutes: 240))).AssertStatusAsync(HttpStatusCode.OK);

        var answer = await (await org.As(org.Auditor).GetAsync($"/orgs/{org.Id}/audit/elevations/{grant.Id}/policy-at-approval")).ReadAsync<JsonObject>();

        Assert.Equal(org.Admin, (string?)answer["approver"]);
        Assert.Equal("BreakGlass", (string?)answer["policy"]!["mode"]);
        Assert.Equal("00:50:00", (string?)answer["policy"]!["maximumWindow"]);
        Assert.Equal("00:30:00", (string?)answer["grantWindow"]);
    }

    [Fact]
    public async Task Time_travel_stays_inside_the_org()
    {
        var acme = await ElevationOrg.CreateAsync(Api, "acme", ElevationOrg.Policy());
        var other = await ElevationOrg.CreateAsync(Api, "other", ElevationOrg.Policy());
        var grant = await other.RequestAsync();
        foreach (var url in new[]
        {
            $"/orgs/{acme.Id}/audit/streams/{other.Id}/events", $"/orgs/{acme.Id}/audit/streams/{other.Id}/state",
            $"/orgs/{acme.Id}/audit/streams/{other.WorkspaceId}/state", $"/orgs/{acme.Id}/audit/elevations/{grant.Id}/policy-at-approval",
            $"/orgs/{acme.Id}/audit/streams/{Guid.NewGuid()}/events",
        })
        {
            var response = await acme.As(acme.Auditor).GetAsync(url);
            Assert.True(HttpStatusCode.NotFound == response.StatusCode, url);
        }

        await (await acme.As(acme.Auditor).GetAsync($"/orgs/{other.Id}/audit/streams/{other.Id}/events")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await acme.As(acme.Developer).GetAsync($"/orgs/{acme.Id}/audit/streams/{acme.Id}/events")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await acme.As(acme.Auditor).GetAsync($"/orgs/{acme.Id}/audit/streams/{acme.Id}/state?version=0")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }
}
