using Amazon.Runtime;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Terraform;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace EnvForge.Tests.Workspaces;

/// <summary>
/// The provisioning activities in the order the workflow runs them, under Temporal's ActivityEnvironment, against real
/// PostgreSQL, a wire-level AWS stand-in (STS/EC2/SSM) and a stand-in terraform executable.
/// </summary>
public sealed class ProvisioningActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/envforge-access";
    private const string PlatformSecret = "platform-secret-key-never-logged";
    private readonly FieldEncryption _encryption = new(new Dictionary<string, byte[]> { ["k1"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }, "k1");
    private readonly CapturingLogger<ProcessTerraformRunner> _log = new();
    private readonly List<string> _heartbeats = [];
    private DocumentStore _store = null!;
    private AwsStub _aws = null!;
    private Guid _org;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(ProvisioningActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        _aws = await AwsStub.StartAsync();
        _aws.SetInstance(FakeTerraform.DefaultInstanceId, "running");
        _aws.SetPing(FakeTerraform.DefaultInstanceId, "Online");

        _org = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Organization>(_org,
            new OrganizationRegistered(_org, "Acme", ExternalIds.New(), "alice", now),
            new MemberAdded(_org, "alice", null, Role.Owner, "alice", now),
            new AwsAccountConnected(_org, _encryption.Seal(RoleArn, FieldEncryption.RoleArnPurpose(_org)), RoleArns.AccountHint(RoleArn), "alice", now));
        await session.SaveChangesAsync();
    }

    private async Task<ProvisionWorkspaceInput> NewWorkspaceAsync()
    {
        var id = Guid.CreateVersion7();
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Workspace>(id, new WorkspaceCreated(
            id, _org, $"ws-{id:N}"[..20], "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000)],
            [new SecretRef("DB_PASSWORD", "/envforge/acme/db", "web")], "alice", DateTimeOffset.UtcNow));
        await session.SaveChangesAsync();
        return new ProvisionWorkspaceInput(id, _org, "alice");
    }

    private ProvisioningActivities Activities(FakeTerraform terraform)
    {
        var aws = Options.Create(_aws.Options());
        var access = new OrgAwsAccess(_store, new StsRoleAssumer(aws, new BasicAWSCredentials("AKIDPLATFORMEXAMPLE", PlatformSecret)), _encryption);
        return new ProvisioningActivities(
            _store, access, new ProcessTerraformRunner(Options.Create(terraform.Options()), _log, TimeProvider.System),
            new AwsInstanceVerifier(aws), aws, TimeProvider.System);
    }

    private ActivityEnvironment Environment() => new() { Heartbeater = details => _heartbeats.Add(string.Join(" ", details)) };

    private async Task<Workspace> LoadAsync(Guid id)
    {
        await using var session = _store.QuerySession();
        return (await session.LoadAsync<Workspace>(id))!;
    }

    private async Task<long> VersionAsync(Guid id)
    {
        await using var session = _store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(id))!.Version;
    }

    [Fact]
    public async Task A_full_run_reaches_ready_with_a_receipt_and_leaves_no_secret_anywhere()
    {
        using var terraform = FakeTerraform.Create();
        var activities = Activities(terraform);
        var input = await NewWorkspaceAsync();
        var env = Environment();

        await env.RunAsync(() => activities.StartAsync(input));
        var role = await env.RunAsync(() => activities.AssumeRoleAsync(input));
        var applied = await env.RunAsync(() => activities.ApplyTerraformAsync(input));
        var verified = await env.RunAsync(() => activities.VerifyAsync(input, applied));

        var workspace = await LoadAsync(input.WorkspaceId);
        Assert.Equal(WorkspaceStatus.Ready, workspace.Status);
        Assert.Equal([ProvisioningStep.AssumeRole, ProvisioningStep.Terraform, ProvisioningStep.Verify], workspace.CompletedSteps);
        Assert.Equal(FakeTerraform.DefaultInstanceId, workspace.Placement?.InstanceId);
        Assert.StartsWith($"ws-{input.WorkspaceId:D}-alice", role.SessionName, StringComparison.Ordinal);
        Assert.Contains($"ec2:running:{FakeTerraform.DefaultInstanceId}", verified.Checks);

        await using (var session = _store.QuerySession())
        {
            var receipt = await session.LoadAsync<ReadinessReceipt>(input.WorkspaceId);
            Assert.NotNull(receipt);
            Assert.Equal(verified.Checks, receipt.Checks);
            Assert.Equal(FakeTerraform.DefaultInstanceId, receipt.InstanceId);
            var vm = await session.LoadAsync<RuntimeVm>(FakeTerraform.DefaultInstanceId);
            Assert.Equal(_org, vm?.OrgId);
        }

        // STS got the org's external id and a bounded session; the credentials reached terraform's environment only.
        var assume = _aws.RequestsFor("AssumeRole")[0];
        await using (var session = _store.QuerySession())
        {
            var org = await session.LoadAsync<Organization>(_org);
            Assert.Equal(org!.ExternalId, assume.Form["ExternalId"]);
        }

        Assert.Equal("3600", assume.Form["DurationSeconds"]);
        var call = terraform.Calls().Single(c => c.Command == "apply");
        Assert.Contains(_aws.Issued, c => c.AccessKeyId == call.Environment["AWS_ACCESS_KEY_ID"]);

        await AssertNoSecretsAsync(terraform);
    }

    [Fact]
    public async Task Retried_activities_append_nothing_twice()
    {
        using var terraform = FakeTerraform.Create();
        var activities = Activities(terraform);
        var input = await NewWorkspaceAsync();
        var env = Environment();

        await env.RunAsync(() => activities.StartAsync(input));
        await env.RunAsync(() => activities.AssumeRoleAsync(input));
        var afterFirst = await VersionAsync(input.WorkspaceId);
        await env.RunAsync(() => activities.StartAsync(input));
        await env.RunAsync(() => activities.AssumeRoleAsync(input));

        Assert.Equal(afterFirst, await VersionAsync(input.WorkspaceId));
    }

    [Fact]
    public async Task A_terraform_failure_is_final_and_compensation_records_step_reason_and_destroy()
    {
        using var terraform = FakeTerraform.Create(new FakeTerraformScenario(FailMidApply: true));
        var activities = Activities(terraform);
        var input = await NewWorkspaceAsync();
        var env = Environment();
        await env.RunAsync(() => activities.StartAsync(input));
        await env.RunAsync(() => activities.AssumeRoleAsync(input));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => env.RunAsync(() => activities.ApplyTerraformAsync(input)));
        Assert.True(failure.NonRetryable);
        Assert.Equal("terraform_failed", failure.ErrorType);

        // What the workflow does next: record the failure, then destroy.
        await env.RunAsync(() => activities.FailAsync(input, ProvisioningStep.Terraform, failure.Message));
        terraform.Dispose();
        using var destroyer = FakeTerraform.Create();
        await env.RunAsync(() => Activities(destroyer).DestroyAsync(input));
        await env.RunAsync(() => Activities(destroyer).DestroyAsync(input)); // compensation may be retried

        var workspace = await LoadAsync(input.WorkspaceId);
        Assert.Equal(WorkspaceStatus.Failed, workspace.Status);
        Assert.Equal(ProvisioningStep.Terraform, workspace.Step);
        Assert.Contains("terraform apply failed", workspace.FailureReason, StringComparison.Ordinal);
        Assert.True(workspace.ResourcesDestroyed);
        Assert.Single(destroyer.Calls(), c => c.Command == "destroy");
        await AssertNoSecretsAsync(destroyer);
    }

    [Fact]
    public async Task An_assume_role_refusal_is_final_and_carries_only_the_aws_error_code()
    {
        _aws.DenyAssumeRole();
        using var terraform = FakeTerraform.Create();
        var input = await NewWorkspaceAsync();
        var env = Environment();
        await env.RunAsync(() => Activities(terraform).StartAsync(input));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => env.RunAsync(() => Activities(terraform).AssumeRoleAsync(input)));

        Assert.True(failure.NonRetryable);
        Assert.Contains("AccessDenied", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("123456789012", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_disconnect_nothing_can_assume_the_role()
    {
        using var terraform = FakeTerraform.Create();
        var input = await NewWorkspaceAsync();
        await using (var session = _store.LightweightSession())
        {
            session.Events.Append(_org, new AwsAccountDisconnected(_org, "****9012", "alice", DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => Environment().RunAsync(() => Activities(terraform).AssumeRoleAsync(input)));

        Assert.Equal("workspace.aws_not_connected", failure.ErrorType);
        Assert.Empty(_aws.RequestsFor("AssumeRole"));
    }

    /// <summary>Every stored event and document, every log line and heartbeat: no credential, ARN or sensitive output.</summary>
    private async Task AssertNoSecretsAsync(FakeTerraform terraform)
    {
        await using var session = _store.QuerySession();
        var stored = await session.AdvancedSql.QueryAsync<string>(
            "select data::text from envforge.mt_events union all select data::text from envforge.mt_doc_workspace " +
            "union all select data::text from envforge.mt_doc_organization union all select data::text from envforge.mt_doc_readinessreceipt", CancellationToken.None);
        var haystack = string.Join("\n", stored.Concat(_log.Lines).Concat(_heartbeats));
        Assert.NotEmpty(_aws.Issued);
        var secrets = _aws.Issued.SelectMany(c => new[] { c.AccessKeyId, c.SecretAccessKey, c.SessionToken })
            .Concat([RoleArn, "123456789012", PlatformSecret, FakeTerraform.SensitiveValue]);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, haystack, StringComparison.Ordinal);
        }

        Assert.All(terraform.Calls(), c => Assert.DoesNotContain(c.Arguments, a => a.Contains("AWS_", StringComparison.Ordinal) || _aws.Issued.Any(i => a.Contains(i.SecretAccessKey, StringComparison.Ordinal))));
    }

    public async ValueTask DisposeAsync()
    {
        await _aws.DisposeAsync();
        _store.Dispose();
    }
}
