using Amazon.Runtime;
using Docker.DotNet;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.Options;
using Temporalio.Testing;
using ServiceSpec = EnvForge.Domain.Workspaces.ServiceSpec;

namespace EnvForge.Tests.Workspaces;

/// <summary>
/// Wake and sleep for real: secrets from the SSM stand-in (wire level), services on the local Docker engine, events in
/// real PostgreSQL. The secret value must reach the declared service's container and nowhere else.
/// </summary>
public sealed class RuntimeActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string SecretValue = "pg-password-7f3a9c-never-stored";
    private readonly FieldEncryption _encryption = new(new Dictionary<string, byte[]> { ["k1"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }, "k1");
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri("unix:///var/run/docker.sock")).CreateClient();
    private DocumentStore _store = null!;
    private AwsStub _aws = null!;
    private DockerServiceRuntime _runtime = null!;
    private Workspace _workspace = null!;
    private bool _affordable = true;

    public async ValueTask InitializeAsync()
    {
        var image = Environment.GetEnvironmentVariable("ENVFORGE_TEST_RUNTIME_IMAGE") is { Length: > 0 } i ? i : "envforge/runtime:latest";
        try
        {
            await _docker.Images.InspectImageAsync(image);
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_DOCKER") != "1" && ex is DockerApiException or HttpRequestException or System.Net.Sockets.SocketException or TimeoutException)
        {
            Assert.Skip($"no Docker engine with the {image} image here ({ex.GetType().Name}); run ops/test.sh");
        }

        _runtime = new DockerServiceRuntime(Options.Create(new RuntimeOptions { ServiceImage = image }));
        var connectionString = await postgres.CreateDatabaseAsync(nameof(RuntimeActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        _aws = await AwsStub.StartAsync();
        _aws.SetParameter("/envforge/acme/db-password", SecretValue);

        var org = Guid.CreateVersion7();
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        const string arn = "arn:aws:iam::123456789012:role/envforge-access";
        IWorkspaceEvent[] history =
        [
            new WorkspaceCreated(id, org, "acme-dev", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000), new ServiceSpec("api", 8080)],
                [new SecretRef("DB_PASSWORD", "/envforge/acme/db-password", "api")], "alice", now),
            new ProvisioningStarted(id, org, "alice", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.AssumeRole, "ok", "system", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.Terraform, "ok", "system", now),
            new WorkspacePlaced(id, org, "i-0a1b2c3d4e5f60718", "us-east-1", "system", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.Verify, "ok", "system", now),
            new WorkspaceReady(id, org, ["ec2"], "system", now),
        ];
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Organization>(org,
            new OrganizationRegistered(org, "Acme", ExternalIds.New(), "alice", now),
            new MemberAdded(org, "alice", null, Role.Owner, "alice", now),
            new AwsAccountConnected(org, _encryption.Seal(arn, FieldEncryption.RoleArnPurpose(org)), RoleArns.AccountHint(arn), "alice", now));
        session.Events.StartStream<Workspace>(id, history);
        await session.SaveChangesAsync();
        _workspace = history.Aggregate((Workspace?)null, Workspace.Evolve)!;
    }

    private RuntimeActivities Activities()
    {
        var aws = Options.Create(_aws.Options());
        var access = new OrgAwsAccess(_store, new StsRoleAssumer(aws, new BasicAWSCredentials("AKIDPLATFORMEXAMPLE", "platform-secret")), _encryption);
        return new RuntimeActivities(_store, new SsmSecretResolver(access, aws), _runtime, new Budget(() => _affordable), TimeProvider.System);
    }

    private RuntimeInput Input => new(_workspace.Id, _workspace.OrgId, TimeSpan.FromMinutes(30));

    [Fact]
    public async Task Wake_injects_each_secret_into_its_service_only_and_records_names_not_values()
    {
        var woke = await new ActivityEnvironment().RunAsync(() => Activities().WakeAsync(Input, WakeTrigger.DevUrl));

        Assert.True(woke);
        var api = await _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "api"));
        var web = await _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "web"));
        Assert.Contains($"DB_PASSWORD={SecretValue}", api.Config.Env);
        Assert.DoesNotContain(web.Config.Env, e => e.Contains(SecretValue, StringComparison.Ordinal));
        var get = Assert.Single(_aws.RequestsFor("GetParameters"));
        Assert.Contains("\"WithDecryption\":true", get.Body, StringComparison.Ordinal);

        await using var session = _store.QuerySession();
        var state = await session.LoadAsync<Workspace>(_workspace.Id);
        Assert.True(state!.Awake);
        Assert.Equal(WakeTrigger.DevUrl, state.LastWakeTrigger);
        var stored = string.Join("\n", await session.AdvancedSql.QueryAsync<string>("select data::text from envforge.mt_events", CancellationToken.None));
        Assert.Contains("DB_PASSWORD", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretValue, stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sleep_stops_the_services_and_records_why()
    {
        var env = new ActivityEnvironment();
        await env.RunAsync(() => Activities().WakeAsync(Input, WakeTrigger.Test));

        await env.RunAsync(() => Activities().SleepAsync(Input, "idle"));

        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() =>
            _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "api")));
        await using var session = _store.QuerySession();
        var state = await session.LoadAsync<Workspace>(_workspace.Id);
        Assert.False(state!.Awake);
        var events = await session.Events.FetchStreamAsync(_workspace.Id);
        Assert.Equal("idle", Assert.IsType<WorkspaceSlept>(events[^1].Data).Reason);
    }

    [Fact]
    public async Task A_wake_the_wallet_cannot_pay_for_starts_nothing()
    {
        _affordable = false;

        var woke = await new ActivityEnvironment().RunAsync(() => Activities().WakeAsync(Input, WakeTrigger.AgentJob));

        Assert.False(woke);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() =>
            _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "web")));
        Assert.Empty(_aws.RequestsFor("GetParameters"));
    }

    private sealed class Budget(Func<bool> affordable) : IRuntimeBudget
    {
        public Task<bool> CanAffordMinimumRuntimeAsync(Guid orgId, CancellationToken ct) => Task.FromResult(affordable());
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            if (_workspace is not null)
            {
                await _runtime.StopAsync(_workspace, CancellationToken.None);
            }

            _runtime.Dispose();
            await _aws.DisposeAsync();
            _store.Dispose();
        }

        _docker.Dispose();
    }
}
