using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Audit;

public sealed class AuditTrailTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private async Task<Guid> ActivityAsync()
    {
        var owner = Api.ClientFor("alice");
        var org = await (await owner.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>();
        await (await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "audrey", role = "Auditor" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "bob", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await owner.PutAsync($"/orgs/{org.Id}/members/bob/role", System.Net.Http.Json.JsonContent.Create(new { role = "Admin" }))).AssertStatusAsync(HttpStatusCode.OK);
        await (await owner.DeleteAsync($"/orgs/{org.Id}/members/bob")).AssertStatusAsync(HttpStatusCode.NoContent);

        // Another org's activity must never show up in this org's trail.
        await Api.ClientFor("mallory").PostJsonAsync("/orgs", new { name = "Other" });
        await Api.CatchUpAsync();
        return org.Id;
    }

    [Fact]
    public async Task Every_event_has_one_entry_in_order_with_actor_action_and_summary()
    {
        var org = await ActivityAsync();

        var page = await (await Api.ClientFor("audrey").GetAsync($"/orgs/{org}/audit")).ReadAsync<Page<AuditEntry>>();

        Assert.Equal(
            ["organization.registered.v1", "organization.member_added.v1", "organization.member_added.v1", "organization.member_added.v1",
             "organization.member_role_changed.v1", "organization.member_removed.v1"],
            page.Items.Select(e => e.Action));
        Assert.All(page.Items, e => Assert.Equal("alice", e.Actor));
        Assert.All(page.Items, e => Assert.Equal(org, e.OrgId));
        Assert.All(page.Items, e => Assert.Equal(org, e.StreamId));
        Assert.Equal(page.Items.Select(e => e.Sequence).Order(), page.Items.Select(e => e.Sequence));
        Assert.Equal([1L, 2, 3, 4, 5, 6], page.Items.Select(e => e.StreamVersion));
        Assert.Equal("changed bob from Developer to Admin", page.Items[4].Summary);
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task The_trail_filters_by_action_and_pages_with_a_cursor()
    {
        var org = await ActivityAsync();
        var client = Api.ClientFor("alice");

        var added = await (await client.GetAsync($"/orgs/{org}/audit?action=organization.member_added.v1")).ReadAsync<Page<AuditEntry>>();
        Assert.Equal(3, added.Items.Count);

        var first = await (await client.GetAsync($"/orgs/{org}/audit?limit=4")).ReadAsync<Page<AuditEntry>>();
        var second = await (await client.GetAsync($"/orgs/{org}/audit?limit=4&cursor={first.NextCursor}")).ReadAsync<Page<AuditEntry>>();
        Assert.Equal(4, first.Items.Count);
        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextCursor);
        Assert.True(second.Items[0].Sequence > first.Items[^1].Sequence);

        var none = await (await client.GetAsync($"/orgs/{org}/audit?actor=nobody")).ReadAsync<Page<AuditEntry>>();
        Assert.Empty(none.Items);

        var future = await (await client.GetAsync($"/orgs/{org}/audit?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}")).ReadAsync<Page<AuditEntry>>();
        Assert.Empty(future.Items);
    }

    [Theory]
    [InlineData("audrey", HttpStatusCode.OK)]
    [InlineData("alice", HttpStatusCode.OK)]
    [InlineData("mallory", HttpStatusCode.NotFound)]
    public async Task Reading_the_trail_needs_ReadAudit_in_that_org(string user, HttpStatusCode expected)
    {
        var org = await ActivityAsync();
        Assert.Equal(expected, (await Api.ClientFor(user).GetAsync($"/orgs/{org}/audit")).StatusCode);
    }
}
