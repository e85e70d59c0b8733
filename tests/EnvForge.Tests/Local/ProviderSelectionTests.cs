using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Configuration;
using Temporalio.Activities;

namespace EnvForge.Tests.Local;

/// <summary>Which provider a deployment uses, and what the AWS deployment refuses of the Local one.</summary>
public sealed class ProviderSelectionTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private static InfrastructureSelection Select(params (string Key, string Value)[] settings) =>
        InfrastructureSelection.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void Local_is_the_default_without_an_aws_platform_account_and_the_setting_wins_over_it()
    {
        Assert.Equal(InfrastructureProvider.Local, Select().Provider);
        Assert.Equal(InfrastructureProvider.Aws, Select(("Aws:PlatformAccountId", "123456789012")).Provider);
        Assert.Equal(InfrastructureProvider.Local, Select(("Aws:PlatformAccountId", "123456789012"), ("Infrastructure:Provider", "local")).Provider);
        Assert.Equal(InfrastructureProvider.Aws, Select(("Infrastructure:Provider", "Aws")).Provider);
        Assert.Throws<InvalidOperationException>(() => Select(("Infrastructure:Provider", "gcp")));
        Assert.Throws<InvalidOperationException>(() => Select(("Infrastructure:Provider", "1")));
    }

    [Fact]
    public void The_local_provisioning_activities_are_the_workflows_activities_name_for_name_and_type_for_type()
    {
        static IEnumerable<string> Contract(Type type) => type.GetMethods()
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => $"{m.GetCustomAttribute<ActivityAttribute>()!.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))}) -> {m.ReturnType.Name}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(Contract(typeof(ProvisioningActivities)), Contract(typeof(LocalProvisioningActivities)));
        Assert.Equal(7, Contract(typeof(LocalProvisioningActivities)).Count());
    }

    [Fact]
    public async Task An_aws_deployment_says_so_in_health_and_refuses_local_repositories_and_local_secrets()
    {
        var health = JsonNode.Parse(await Api.CreateClient().GetStringAsync("/health"))!;
        Assert.Equal("Aws", (string?)health["provider"]);

        var alice = Api.ClientFor("alice");
        var org = (await (await alice.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>()).Id;
        await (await alice.PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = "arn:aws:iam::123456789012:role/envforge-access" })).AssertStatusAsync(HttpStatusCode.OK);

        await (await alice.PostJsonAsync($"/orgs/{org}/workspaces", new { name = "w", repository = "/srv/repos/app", branch = "main" }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "workspace.local_repository");
        await (await alice.PutAsJsonAsync($"/orgs/{org}/secrets/envforge/acme/db", new { value = "never-stored" }))
            .AssertProblemAsync(HttpStatusCode.Conflict, "secrets.managed_in_aws");
        await (await alice.PostJsonAsync($"/orgs/{org}/workspaces", new { name = "w", repository = "/srv/../etc", branch = "main" }))
            .AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }
}
