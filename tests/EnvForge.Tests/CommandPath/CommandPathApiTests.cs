using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.CommandPath;

/// <summary>The API's command path as callers see it: racing requests all land, and authorization comes before If-Match.</summary>
public sealed class CommandPathApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private async Task<OrganizationResponse> RegisterAsync()
    {
        var response = await Api.ClientFor("alice").PostJsonAsync("/orgs", new { name = "Acme" });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return await response.ReadAsync<OrganizationResponse>();
    }

    [Fact]
    public async Task Concurrent_changes_to_one_stream_are_decided_again_rather_than_refused()
    {
        var org = await RegisterAsync();
        var owner = Api.ClientFor("alice");

        var answers = await Task.WhenAll(Enumerable.Range(1, 3).Select(i =>
            owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = $"dev{i}", role = "Developer" })));

        foreach (var answer in answers)
        {
            await answer.AssertStatusAsync(HttpStatusCode.Created);
        }

        Assert.Equal(["\"3\"", "\"4\"", "\"5\""], answers.Select(a => a.Headers.ETag!.Tag).Order());
    }

    [Fact]
    public async Task An_outsider_with_an_if_match_gets_404_not_the_streams_version()
    {
        var org = await RegisterAsync();
        var outsider = Api.ClientFor("mallory");
        outsider.DefaultRequestHeaders.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"7\""));

        var answer = await outsider.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "mallory", role = "Owner" });

        var problem = await answer.AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        Assert.DoesNotContain("version", problem.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }
}
