using System.Net;
using System.Net.Http.Headers;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Organizations;

public sealed class OrganizationApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private async Task<OrganizationResponse> RegisterAsync(string owner = "alice", string name = "Acme")
    {
        var response = await Api.ClientFor(owner).PostJsonAsync("/orgs", new { name });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return await response.ReadAsync<OrganizationResponse>();
    }

    private async Task AddAsync(Guid orgId, string user, Role role, string by = "alice")
    {
        var response = await Api.ClientFor(by).PostJsonAsync($"/orgs/{orgId}/members", new { userId = user, role = role.ToString() });
        await response.AssertStatusAsync(HttpStatusCode.Created);
    }

    private async Task<long> StreamVersionAsync(Guid orgId)
    {
        await using var session = Api.Store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(orgId))?.Version ?? 0;
    }

    [Fact]
    public async Task Registering_an_org_makes_the_caller_owner_and_returns_an_external_id()
    {
        var response = await Api.ClientFor("alice", "Alice").PostJsonAsync("/orgs", new { name = "Acme" });

        await response.AssertStatusAsync(HttpStatusCode.Created);
        var org = await response.ReadAsync<OrganizationResponse>();
        Assert.Equal(Role.Owner, org.YourRole);
        Assert.Equal(1, org.MemberCount);
        Assert.Matches("^envforge-[0-9a-f]{40}$", org.ExternalId);
        Assert.Equal($"/orgs/{org.Id}", response.Headers.Location?.ToString());
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);

        var mine = await (await Api.ClientFor("alice").GetAsync("/orgs")).ReadAsync<List<MembershipResponse>>();
        Assert.Equal([new MembershipResponse(org.Id, Role.Owner)], mine);
    }

    [Fact]
    public async Task Every_org_gets_its_own_external_id()
    {
        var a = await RegisterAsync("alice");
        var b = await RegisterAsync("bob");
        Assert.NotEqual(a.ExternalId, b.ExternalId);
    }

    [Fact]
    public async Task Members_are_added_re_roled_and_removed()
    {
        var org = await RegisterAsync();
        var owner = Api.ClientFor("alice");

        var added = await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "bob", role = "Developer", displayName = "Bob" });
        await added.AssertStatusAsync(HttpStatusCode.Created);
        Assert.Equal(new MemberResponse("bob", "Bob", Role.Developer), await added.ReadAsync<MemberResponse>());

        var changed = await owner.PutAsync($"/orgs/{org.Id}/members/bob/role", JsonContent(new { role = "Admin" }));
        await changed.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(Role.Admin, (await changed.ReadAsync<MemberResponse>()).Role);
        Assert.Equal("\"4\"", changed.Headers.ETag?.Tag);

        var member = await (await owner.GetAsync($"/orgs/{org.Id}/members/bob")).ReadAsync<MemberResponse>();
        Assert.Equal(Role.Admin, member.Role);

        var removed = await owner.DeleteAsync($"/orgs/{org.Id}/members/bob");
        await removed.AssertStatusAsync(HttpStatusCode.NoContent);
        await (await owner.GetAsync($"/orgs/{org.Id}/members/bob")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.unknown_member");
    }

    [Fact]
    public async Task Adding_the_same_member_twice_is_idempotent_and_appends_once()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);

        var again = await Api.ClientFor("alice").PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "bob", role = "Developer" });

        await again.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task Adding_an_existing_member_with_another_role_is_409_and_appends_nothing()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);

        var response = await Api.ClientFor("alice").PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "bob", role = "Admin" });

        await response.AssertProblemAsync(HttpStatusCode.Conflict, "organization.already_member");
        Assert.Equal(3, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task Removing_or_demoting_the_last_owner_is_409_and_appends_nothing()
    {
        var org = await RegisterAsync();
        var owner = Api.ClientFor("alice");

        await (await owner.DeleteAsync($"/orgs/{org.Id}/members/alice")).AssertProblemAsync(HttpStatusCode.Conflict, "organization.last_owner");
        await (await owner.PutAsync($"/orgs/{org.Id}/members/alice/role", JsonContent(new { role = "Admin" })))
            .AssertProblemAsync(HttpStatusCode.Conflict, "organization.last_owner");
        Assert.Equal(2, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task Unknown_member_is_404_and_appends_nothing()
    {
        var org = await RegisterAsync();
        var owner = Api.ClientFor("alice");

        await (await owner.DeleteAsync($"/orgs/{org.Id}/members/ghost")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.unknown_member");
        await (await owner.PutAsync($"/orgs/{org.Id}/members/ghost/role", JsonContent(new { role = "Admin" })))
            .AssertProblemAsync(HttpStatusCode.NotFound, "organization.unknown_member");
        Assert.Equal(2, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task Unknown_org_is_404()
    {
        var unknown = Guid.CreateVersion7();
        var client = Api.ClientFor("alice");

        await (await client.GetAsync($"/orgs/{unknown}")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await client.PostJsonAsync($"/orgs/{unknown}/members", new { userId = "bob", role = "Viewer" }))
            .AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        Assert.Equal(0, await StreamVersionAsync(unknown));
    }

    [Fact]
    public async Task A_member_of_org_A_gets_404_for_everything_of_org_B_and_changes_nothing()
    {
        var orgA = await RegisterAsync("alice");
        var orgB = await RegisterAsync("bob");
        await AddAsync(orgB.Id, "carol", Role.Developer, by: "bob");
        var before = await StreamVersionAsync(orgB.Id);
        var alice = Api.ClientFor("alice");
        Assert.NotEqual(orgA.Id, orgB.Id);

        var attempts = new Func<Task<HttpResponseMessage>>[]
        {
            () => alice.GetAsync($"/orgs/{orgB.Id}"),
            () => alice.GetAsync($"/orgs/{orgB.Id}/members"),
            () => alice.GetAsync($"/orgs/{orgB.Id}/members/carol"),
            () => alice.GetAsync($"/orgs/{orgB.Id}/audit"),
            () => alice.PostJsonAsync($"/orgs/{orgB.Id}/members", new { userId = "alice", role = "Owner" }),
            () => alice.PutAsync($"/orgs/{orgB.Id}/members/carol/role", JsonContent(new { role = "Owner" })),
            () => alice.PutAsync($"/orgs/{orgB.Id}/members/ghost/role", JsonContent(new { role = "Owner" })),
            () => alice.DeleteAsync($"/orgs/{orgB.Id}/members/carol"),
            () => alice.DeleteAsync($"/orgs/{orgB.Id}/members/ghost"),
        };

        foreach (var attempt in attempts)
        {
            // The same answer as for an org that does not exist: nothing about org B leaks, not even which members exist.
            await (await attempt()).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        }

        Assert.Equal(before, await StreamVersionAsync(orgB.Id));
        var mine = await (await alice.GetAsync("/orgs")).ReadAsync<List<MembershipResponse>>();
        Assert.DoesNotContain(mine, m => m.OrgId == orgB.Id);
    }

    [Fact]
    public async Task A_developer_cannot_manage_members_and_gets_403()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "dev", Role.Developer);

        var response = await Api.ClientFor("dev").PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "eve", role = "Viewer" });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(3, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task An_admin_cannot_make_an_owner()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "ada", Role.Admin);

        var response = await Api.ClientFor("ada").PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "eve", role = "Owner" });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden, "organization.not_allowed");
        Assert.Equal(3, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task A_stale_If_Match_is_412_and_a_current_one_succeeds()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);
        var owner = Api.ClientFor("alice");

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org.Id}/members/bob/role") { Content = JsonContent(new { role = "Viewer" }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"2\""));
        await (await owner.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");

        var current = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org.Id}/members/bob/role") { Content = JsonContent(new { role = "Viewer" }) };
        current.Headers.IfMatch.Add(new EntityTagHeaderValue("\"3\""));
        var ok = await owner.SendAsync(current);
        await ok.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"4\"", ok.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Concurrent_role_changes_at_one_version_have_exactly_one_winner()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);
        var owner = Api.ClientFor("alice");
        var roles = new[] { "Admin", "Viewer", "Support", "Auditor", "Admin", "Viewer", "Support", "Auditor" };

        var responses = await Task.WhenAll(roles.Select(role =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org.Id}/members/bob/role") { Content = JsonContent(new { role }) };
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"3\""));
            return owner.SendAsync(request);
        }));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode));
        Assert.Equal(4, await StreamVersionAsync(org.Id));
    }

    [Fact]
    public async Task Two_writers_that_read_the_same_version_never_both_win()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);

        // Interleave deterministically: both read version 3, the first saves, the second must be refused by the store.
        await using var first = Api.Store.LightweightSession();
        await using var second = Api.Store.LightweightSession();
        var a = await first.Events.FetchForWriting<Organization>(org.Id);
        var b = await second.Events.FetchForWriting<Organization>(org.Id);
        var now = DateTimeOffset.UtcNow;
        a.AppendOne(new MemberRoleChanged(org.Id, "bob", Role.Developer, Role.Admin, "alice", now));
        b.AppendOne(new MemberRoleChanged(org.Id, "bob", Role.Developer, Role.Viewer, "alice", now));

        await first.SaveChangesAsync();
        var loser = await Assert.ThrowsAnyAsync<Exception>(() => second.SaveChangesAsync());

        Assert.True(EnvForge.Projections.Infrastructure.Concurrency.IsConflict(loser), loser.ToString());
        Assert.Equal(4, await StreamVersionAsync(org.Id));
        var member = await (await Api.ClientFor("alice").GetAsync($"/orgs/{org.Id}/members/bob")).ReadAsync<MemberResponse>();
        Assert.Equal(Role.Admin, member.Role);
    }

    [Fact]
    public async Task Concurrent_role_changes_without_If_Match_each_win_or_get_409_and_history_matches()
    {
        var org = await RegisterAsync();
        await AddAsync(org.Id, "bob", Role.Developer);
        var owner = Api.ClientFor("alice");
        string[] roles = ["Admin", "Viewer", "Support", "Auditor", "Admin", "Viewer", "Support", "Auditor", "Developer", "Admin"];

        var responses = await Task.WhenAll(roles.Select(role => owner.PutAsync($"/orgs/{org.Id}/members/bob/role", JsonContent(new { role }))));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await conflict.AssertProblemAsync(HttpStatusCode.Conflict, "concurrency_conflict");
        }

        // Every 200 appended at most one event (a no-op change appends none); no 409 appended anything.
        var appended = await StreamVersionAsync(org.Id) - 3;
        Assert.InRange(appended, 1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body, Http.Json), System.Text.Encoding.UTF8, "application/json");
}
