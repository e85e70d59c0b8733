using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Organizations;

public sealed class MemberDirectoryTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private async Task<Guid> OrgWithMembersAsync()
    {
        var owner = Api.ClientFor("alice", "Alice");
        var org = await (await owner.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>();
        foreach (var (user, role, name) in new[]
        {
            ("bob", "Developer", "Bob Builder"), ("carol", "Developer", "Carol"), ("dave", "Viewer", "Dave"),
            ("sam", "Support", "Sam Support"), ("audrey", "Auditor", "Audrey"), ("ada", "Admin", "Ada"),
        })
        {
            await (await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = user, role, displayName = name })).AssertStatusAsync(HttpStatusCode.Created);
        }

        return org.Id;
    }

    [Fact]
    public async Task Members_page_through_with_a_cursor_in_user_id_order()
    {
        var org = await OrgWithMembersAsync();
        var client = Api.ClientFor("sam");
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var response = await client.GetAsync($"/orgs/{org}/members?limit=3{(cursor is null ? "" : $"&cursor={cursor}")}");
            await response.AssertStatusAsync(HttpStatusCode.OK);
            var page = await response.ReadAsync<MemberPage>();
            Assert.InRange(page.Items.Count, 1, 3);
            seen.AddRange(page.Items.Select(m => m.UserId));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(["ada", "alice", "audrey", "bob", "carol", "dave", "sam"], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Members_filter_by_role_and_by_prefix()
    {
        var org = await OrgWithMembersAsync();
        var client = Api.ClientFor("audrey");

        var developers = await (await client.GetAsync($"/orgs/{org}/members?role=Developer")).ReadAsync<MemberPage>();
        Assert.Equal(["bob", "carol"], developers.Items.Select(m => m.UserId));

        var byName = await (await client.GetAsync($"/orgs/{org}/members?search=sam%20s")).ReadAsync<MemberPage>();
        Assert.Equal(["sam"], byName.Items.Select(m => m.UserId));

        var byId = await (await client.GetAsync($"/orgs/{org}/members?search=a")).ReadAsync<MemberPage>();
        Assert.Equal(["ada", "alice", "audrey"], byId.Items.Select(m => m.UserId));
    }

    [Fact]
    public async Task The_directory_follows_role_changes_and_removals_at_once()
    {
        var org = await OrgWithMembersAsync();
        var owner = Api.ClientFor("alice");
        await (await owner.PutAsync($"/orgs/{org}/members/bob/role", System.Net.Http.Json.JsonContent.Create(new { role = "Viewer" }))).AssertStatusAsync(HttpStatusCode.OK);
        await (await owner.DeleteAsync($"/orgs/{org}/members/carol")).AssertStatusAsync(HttpStatusCode.NoContent);

        var viewers = await (await owner.GetAsync($"/orgs/{org}/members?role=Viewer")).ReadAsync<MemberPage>();
        Assert.Equal(["bob", "dave"], viewers.Items.Select(m => m.UserId));
        var developers = await (await owner.GetAsync($"/orgs/{org}/members?role=Developer")).ReadAsync<MemberPage>();
        Assert.Empty(developers.Items);
    }

    [Theory]
    [InlineData("bob", HttpStatusCode.Forbidden)]
    [InlineData("dave", HttpStatusCode.Forbidden)]
    [InlineData("sam", HttpStatusCode.OK)]
    [InlineData("audrey", HttpStatusCode.OK)]
    [InlineData("ada", HttpStatusCode.OK)]
    [InlineData("stranger", HttpStatusCode.NotFound)]
    public async Task Reading_members_follows_the_permission_matrix(string user, HttpStatusCode expected)
    {
        var org = await OrgWithMembersAsync();
        var response = await Api.ClientFor(user).GetAsync($"/orgs/{org}/members");
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Every_member_sees_the_org_but_only_policy_roles_see_the_external_id()
    {
        var org = await OrgWithMembersAsync();
        var asDeveloper = await (await Api.ClientFor("bob").GetAsync($"/orgs/{org}")).ReadAsync<OrganizationResponse>();
        var asAdmin = await (await Api.ClientFor("ada").GetAsync($"/orgs/{org}")).ReadAsync<OrganizationResponse>();

        Assert.Equal(Role.Developer, asDeveloper.YourRole);
        Assert.Null(asDeveloper.ExternalId);
        Assert.NotNull(asAdmin.ExternalId);
        Assert.Equal(7, asAdmin.MemberCount);
        Assert.Equal(8, asAdmin.Version);
    }
}
