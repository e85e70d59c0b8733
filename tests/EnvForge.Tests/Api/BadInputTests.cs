using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Api;

/// <summary>Bad input gets a 400-class ProblemDetails and changes nothing.</summary>
public sealed class BadInputTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private Guid _org;
    private HttpClient _owner = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _owner = Api.ClientFor("alice");
        var response = await _owner.PostJsonAsync("/orgs", new { name = "Acme" });
        _org = (await response.ReadAsync<OrganizationResponse>()).Id;
    }

    private async Task AssertNothingAppendedAsync()
    {
        await using var session = Api.Store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().CountAsync();
        Assert.Equal(2, events); // registration + first owner only
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "{\"userId\": \"bob\", \"role\": ", "malformed_request" },
        { "not json at all", "malformed_request" },
        { "[1,2,3]", "malformed_request" },
        { "{\"userId\": \"bob\", \"role\": \"Viewer\", \"isRoot\": true}", "malformed_request" },
        { "{\"userId\": 42, \"role\": \"Viewer\"}", "malformed_request" },
        { "null", "malformed_request" },
        { "{}", "validation" },
        { "{\"role\": \"Viewer\"}", "validation" },
        { "{\"userId\": \"bob\"}", "validation" },
        { "{\"userId\": \"bob\", \"role\": \"SuperUser\"}", "validation" },
        { "{\"userId\": \"bob\", \"role\": \"7\"}", "validation" },
        { "{\"userId\": \"bob\", \"role\": \"owner\"}", "validation" },
        // Enum.TryParse would take a comma list as the OR of its values ("Admin,Developer" is Viewer): only a name counts.
        { "{\"userId\": \"bob\", \"role\": \"Admin,Developer\"}", "validation" },
        { "{\"userId\": \"bob\", \"role\": \" Viewer\"}", "validation" },
        { "{\"userId\": \"has space\", \"role\": \"Viewer\"}", "validation" },
        { "{\"userId\": \"\", \"role\": \"Viewer\"}", "validation" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Bad_member_bodies_are_400_problems_and_append_nothing(string body, string code)
    {
        var response = await _owner.PostRawAsync($"/orgs/{_org}/members", body);

        await response.AssertProblemAsync(HttpStatusCode.BadRequest, code);
        await AssertNothingAppendedAsync();
    }

    [Fact]
    public async Task Validation_problems_name_each_bad_field()
    {
        var response = await _owner.PostJsonAsync($"/orgs/{_org}/members", new { userId = new string('u', 201), role = "Emperor", displayName = new string('d', 101) });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("UserId"));
        Assert.True(errors.ContainsKey("Role"));
        Assert.True(errors.ContainsKey("DisplayName"));
        Assert.Contains("Owner, Admin, Developer, Viewer, Support, Auditor", errors["Role"]![0]!.ToString());
        await AssertNothingAppendedAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bad\u0007name")]
    public async Task Bad_org_names_are_rejected(string name)
    {
        var response = await _owner.PostJsonAsync("/orgs", new { name });
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await AssertNothingAppendedAsync();
    }

    [Fact]
    public async Task An_oversize_org_name_is_rejected()
    {
        var response = await _owner.PostJsonAsync("/orgs", new { name = new string('n', 101) });
        await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await AssertNothingAppendedAsync();
    }

    [Fact]
    public async Task A_body_over_one_megabyte_is_refused()
    {
        var response = await _owner.PostRawAsync("/orgs", $"{{\"name\": \"{new string('n', 1_100_000)}\"}}");
        Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, response.StatusCode.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingAppendedAsync();
    }

    [Fact]
    public async Task A_non_json_content_type_is_415()
    {
        var response = await _owner.PostRawAsync("/orgs", "name=Acme", "application/x-www-form-urlencoded");
        await response.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await AssertNothingAppendedAsync();
    }

    [Fact]
    public async Task A_malformed_If_Match_is_400()
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, $"/orgs/{_org}/members/alice");
        request.Headers.TryAddWithoutValidation("If-Match", "yesterday");
        await (await _owner.SendAsync(request)).AssertProblemAsync(HttpStatusCode.BadRequest, "invalid_if_match");
        await AssertNothingAppendedAsync();
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1000", "limit")]
    [InlineData("?cursor=%%%", "cursor")]
    [InlineData("?role=Emperor", "role")]
    [InlineData("?role=Owner,Admin", "role")]
    [InlineData("?role=1", "role")]
    public async Task Bad_query_parameters_are_400(string query, string field)
    {
        var problem = await (await _owner.GetAsync($"/orgs/{_org}/members{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task A_route_that_does_not_exist_is_a_404_problem()
    {
        var response = await _owner.GetAsync("/orgs/not-a-guid");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
