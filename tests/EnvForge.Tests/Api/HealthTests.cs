using System.Net;
using System.Text.Json.Nodes;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Api;

public sealed class HealthTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    [Fact]
    public async Task Without_a_Temporal_server_the_api_runs_and_health_says_temporal_unavailable()
    {
        var client = Api.WithToken(null);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonObject health;
        do
        {
            var response = await client.GetAsync("/health");
            await response.AssertStatusAsync(HttpStatusCode.OK);
            health = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }
        while ((string?)health["temporal"] == "connecting" && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal("ok", (string?)health["postgres"]);
        Assert.Equal("unavailable", (string?)health["temporal"]);
        Assert.Contains("TEMPORAL_ADDRESS", (string?)health["temporalReason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_organization_endpoints()
    {
        var document = await Api.WithToken(null).GetStringAsync("/openapi/v1.json");
        Assert.Contains("/orgs/{orgId}/members", document, StringComparison.Ordinal);
        Assert.Contains("/orgs/{orgId}/audit", document, StringComparison.Ordinal);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }
}
