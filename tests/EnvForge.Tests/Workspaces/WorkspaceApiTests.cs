using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EnvForge.Api.Organizations;
using EnvForge.Api.Workspaces;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Workspaces;

/// <summary>Connecting AWS and creating workspaces; with no Temporal server (the default here) workflow-backed calls are 503.</summary>
public sealed class WorkspaceApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/envforge-access";

    private async Task<Guid> OrgAsync(string owner = "alice", bool connect = true)
    {
        var org = await (await Api.ClientFor(owner).PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>();
        await (await Api.ClientFor(owner).PostJsonAsync($"/orgs/{org.Id}/members", new { userId = $"{owner}-dev", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
        if (connect)
        {
            await (await Api.ClientFor(owner).PutAsJsonAsync($"/orgs/{org.Id}/aws", new { roleArn = RoleArn })).AssertStatusAsync(HttpStatusCode.OK);
        }

        await EnvForge.Tests.Wallet.WalletSeed.FundAsync(Api.Store, org.Id); // a wallet that pays the minimum runtime: these tests are not about paying
        return org.Id;
    }

    private static object Spec(string name = "acme-dev") => new
    {
        name,
        repository = "https://git.example.com/acme/app",
        branch = "main",
        services = new[] { new { name = "web", port = 3000 }, new { name = "api", port = 8080 } },
        secrets = new[] { new { name = "DB_PASSWORD", ssmPath = "/envforge/acme/db-password", service = "api" } },
    };

    private async Task<long> EventCountAsync()
    {
        await using var session = Api.Store.QuerySession();
        return await session.Events.QueryAllRawEvents().CountAsync();
    }

    [Fact]
    public async Task Connecting_aws_stores_the_role_arn_only_encrypted()
    {
        var org = await OrgAsync();

        var org2 = await (await Api.ClientFor("alice").GetAsync($"/orgs/{org}")).ReadAsync<OrganizationResponse>();
        Assert.NotNull(org2.ExternalId);

        // Scan every stored event and document: neither the ARN nor the account number is there in clear.
        await using var session = Api.Store.QuerySession();
        var everything = string.Join("\n", await session.AdvancedSql.QueryAsync<string>(
            "select data::text from envforge.mt_events union all select data::text from envforge.mt_doc_organization", CancellationToken.None));
        Assert.Contains("organization.aws_connected.v1", await session.AdvancedSql.QueryAsync<string>("select type from envforge.mt_events", CancellationToken.None));
        Assert.DoesNotContain("123456789012", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("envforge-access", everything, StringComparison.Ordinal);
        Assert.Contains("****9012", everything, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("arn:aws:iam::123:role/x")]
    [InlineData("arn:aws:iam::123456789012:user/bob")]
    [InlineData("arn:aws:s3:::bucket")]
    [InlineData("not an arn")]
    public async Task A_malformed_role_arn_is_400_without_echoing_it_and_appends_nothing(string arn)
    {
        var org = await OrgAsync(connect: false);
        var before = await EventCountAsync();

        var response = await Api.ClientFor("alice").PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = arn });

        var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.DoesNotContain(arn, problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(before, await EventCountAsync());
    }

    [Fact]
    public async Task Only_owners_and_admins_connect_aws()
    {
        var org = await OrgAsync(connect: false);
        await (await Api.ClientFor("alice-dev").PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = RoleArn })).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("stranger").PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = RoleArn })).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
    }

    [Fact]
    public async Task The_setup_endpoint_gives_a_trust_policy_bound_to_the_external_id()
    {
        var org = await OrgAsync(connect: false);
        var setup = JsonNode.Parse(await Api.ClientFor("alice").GetStringAsync($"/orgs/{org}/aws/setup"))!;
        var externalId = (string)setup["externalId"]!;

        var statement = setup["trustPolicy"]!["Statement"]![0]!;
        Assert.Equal("sts:AssumeRole", (string)statement["Action"]!);
        Assert.Equal(externalId, (string)statement["Condition"]!["StringEquals"]!["sts:ExternalId"]!);
        var actions = setup["permissionsPolicy"]!["Statement"]!.AsArray().SelectMany(s => s!["Action"]!.AsArray()).Select(a => (string)a!).ToList();
        Assert.Contains("ec2:RunInstances", actions);
        Assert.Contains("ssm:DescribeInstanceInformation", actions);
        Assert.Contains("eks:DescribeCluster", actions);
        Assert.DoesNotContain("*", actions);
        Assert.DoesNotContain("iam:*", actions);
    }

    [Fact]
    public async Task Disconnecting_is_an_event_and_then_workspaces_cannot_be_created()
    {
        var org = await OrgAsync();
        await (await Api.ClientFor("alice").DeleteAsync($"/orgs/{org}/aws")).AssertStatusAsync(HttpStatusCode.OK);

        var response = await Api.ClientFor("alice-dev").PostJsonAsync($"/orgs/{org}/workspaces", Spec());
        await response.AssertProblemAsync(HttpStatusCode.Conflict, "workspace.aws_not_connected");
    }

    [Fact]
    public async Task Without_a_Temporal_server_creating_a_workspace_is_503_and_appends_nothing()
    {
        var org = await OrgAsync();
        var before = await EventCountAsync();

        var response = await Api.ClientFor("alice-dev").PostJsonAsync($"/orgs/{org}/workspaces", Spec());

        var problem = await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "temporal_unavailable");
        Assert.Contains("Temporal", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(before, await EventCountAsync());
    }

    [Fact]
    public async Task Unknown_org_and_another_orgs_workspace_are_404()
    {
        var mine = await OrgAsync("alice");
        var theirs = await OrgAsync("bob");
        var theirWorkspace = await SeedWorkspaceAsync(theirs, "their-ws");

        var alice = Api.ClientFor("alice");
        await (await alice.PostJsonAsync($"/orgs/{Guid.CreateVersion7()}/workspaces", Spec())).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await alice.PostJsonAsync($"/orgs/{theirs}/workspaces", Spec())).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await alice.GetAsync($"/orgs/{theirs}/workspaces/{theirWorkspace}")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        // Asking through one's own org for another org's workspace id is the same 404.
        await (await alice.GetAsync($"/orgs/{mine}/workspaces/{theirWorkspace}")).AssertProblemAsync(HttpStatusCode.NotFound, "workspace.not_found");
        await (await alice.PostAsync($"/orgs/{mine}/workspaces/{theirWorkspace}/cancel", null)).AssertProblemAsync(HttpStatusCode.NotFound, "workspace.not_found");
    }

    [Fact]
    public async Task A_duplicate_workspace_name_is_409_and_appends_nothing()
    {
        var org = await OrgAsync();
        await SeedWorkspaceAsync(org, "acme-dev");
        var before = await EventCountAsync();

        var response = await Api.ClientFor("alice-dev").PostJsonAsync($"/orgs/{org}/workspaces", Spec("acme-dev"));

        await response.AssertProblemAsync(HttpStatusCode.Conflict, "workspace.name_taken");
        Assert.Equal(before, await EventCountAsync());
    }

    public static TheoryData<string, string> BadSpecs => new()
    {
        { """{"name":"Bad Name","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}]}""", "validation" },
        { $$"""{"name":"{{new string('a', 64)}}","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}]}""", "validation" },
        { """{"name":"ok","repository":"https://user:pass@git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"../../etc","services":[{"name":"web","port":3000}]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":70000}]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":1},{"name":"web","port":2}]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}],"secrets":[{"name":"DB","ssmPath":"hunter2","service":"web"}]}""", "validation" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}],"secrets":[{"name":"DB","value":"hunter2","service":"web"}]}""", "malformed_request" },
        { """{"name":"ok","repository":"https://git.example.com/a/b","branch":"main","services":[{"name":"web","port":3000}],"secrets":[{"name":"DB","ssmPath":"/envforge/db","service":"worker"}]}""", "workspace.secret_for_unknown_service" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task Invalid_or_oversized_specs_are_refused_and_append_nothing(string body, string code)
    {
        var org = await OrgAsync();
        var before = await EventCountAsync();

        var response = await Api.ClientFor("alice-dev").PostRawAsync($"/orgs/{org}/workspaces", body);

        await response.AssertProblemAsync(code.StartsWith("workspace.", StringComparison.Ordinal) ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.BadRequest, code);
        Assert.Equal(before, await EventCountAsync());
        Assert.DoesNotContain("hunter2", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewers_cannot_create_workspaces()
    {
        var org = await OrgAsync();
        await (await Api.ClientFor("alice").PostJsonAsync($"/orgs/{org}/members", new { userId = "vic", role = "Viewer" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await Api.ClientFor("vic").PostJsonAsync($"/orgs/{org}/workspaces", Spec())).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    private async Task<Guid> SeedWorkspaceAsync(Guid org, string name)
    {
        var id = Guid.CreateVersion7();
        await using var session = Api.Store.LightweightSession();
        session.Events.StartStream<Workspace>(id, new WorkspaceCreated(
            id, org, name, "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000)], [], "seed", DateTimeOffset.UtcNow));
        await session.SaveChangesAsync();
        return id;
    }
}

/// <summary>The same API with workflows available (a recording stand-in for the Temporal server).</summary>
public sealed class WorkspaceProvisioningStartTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private readonly RecordingWorkspaceWorkflows _workflows = new();

    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IWorkspaceWorkflows>(_workflows));

    [Fact]
    public async Task Creating_a_workspace_appends_it_and_starts_its_provisioning_workflow()
    {
        var owner = Api.ClientFor("alice");
        var org = (await (await owner.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>()).Id;
        await (await owner.PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = "arn:aws:iam::123456789012:role/envforge" })).AssertStatusAsync(HttpStatusCode.OK);
        await EnvForge.Tests.Wallet.WalletSeed.FundAsync(Api.Store, org);

        var response = await owner.PostJsonAsync($"/orgs/{org}/workspaces", new
        {
            name = "acme-dev",
            repository = "https://git.example.com/acme/app",
            branch = "main",
            services = new[] { new { name = "web", port = 3000 } },
            secrets = new[] { new { name = "API_KEY", ssmPath = "/envforge/acme/api-key", service = "web" } },
        });

        await response.AssertStatusAsync(HttpStatusCode.Accepted);
        var workspace = await response.ReadAsync<WorkspaceResponse>();
        Assert.Equal(WorkspaceStatus.Requested, workspace.Status);
        Assert.Equal([new SecretResponse("API_KEY", "/envforge/acme/api-key", "web")], workspace.Secrets);
        Assert.True(_workflows.Provisioning.TryDequeue(out var started));
        Assert.Equal(new EnvForge.Workflows.Workspaces.ProvisionWorkspaceInput(workspace.Id, org, "alice"), started);

        var listed = await (await owner.GetAsync($"/orgs/{org}/workspaces")).ReadAsync<List<WorkspaceResponse>>();
        Assert.Equal([workspace.Id], listed.Select(w => w.Id));

        await (await owner.PostAsync($"/orgs/{org}/workspaces/{workspace.Id}/cancel", null)).AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.True(_workflows.Cancels.TryDequeue(out var cancel));
        Assert.Equal((workspace.Id, "alice"), cancel);
    }
}
