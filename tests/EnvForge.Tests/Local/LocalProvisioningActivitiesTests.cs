using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Workspaces;
using Marten;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace EnvForge.Tests.Local;

/// <summary>
/// Local provisioning, step by step in the workflow's order, under Temporal's ActivityEnvironment, against real
/// PostgreSQL and this machine's real Docker engine: every step is local work, recorded as such.
/// </summary>
public sealed class LocalProvisioningActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private DocumentStore _store = null!;
    private LocalMachine _machine = null!;

    public async ValueTask InitializeAsync()
    {
        _machine = await LocalMachine.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync(nameof(LocalProvisioningActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    private LocalProvisioningActivities Activities() => new(_store, _machine.Docker, _machine.Hosts, _machine.Paths, _machine.Repositories, TimeProvider.System);

    private static readonly ActivityEnvironment Env = new();

    private async Task<Guid> OrgAsync()
    {
        var org = _machine.NewOrg();
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Organization>(org,
            new OrganizationRegistered(org, "Acme", ExternalIds.New(), "alice", DateTimeOffset.UtcNow),
            new MemberAdded(org, "alice", null, Role.Owner, "alice", DateTimeOffset.UtcNow));
        await session.SaveChangesAsync();
        return org;
    }

    private async Task<ProvisionWorkspaceInput> WorkspaceAsync(
        Guid org, InfrastructureProvider provider = InfrastructureProvider.Local, string? repository = null, string? commit = null)
    {
        var id = Guid.CreateVersion7();
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Workspace>(id, new WorkspaceCreated(
            id, org, $"ws-{id:N}"[..20], repository ?? "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 8080)], [], "alice",
            DateTimeOffset.UtcNow)
        {
            Provider = provider,
            Commit = commit,
        });
        await session.SaveChangesAsync();
        return new ProvisionWorkspaceInput(id, org, "alice");
    }

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

    private async Task<IReadOnlyList<string>> SummariesAsync(Guid id)
    {
        await using var session = _store.QuerySession();
        return (await session.Events.FetchStreamAsync(id)).Select(e => e.Data).OfType<ProvisioningStepCompleted>().Select(e => e.Summary).ToList();
    }

    [Fact]
    public async Task A_full_run_creates_the_orgs_host_and_network_checks_out_the_commit_and_reaches_ready()
    {
        var org = await OrgAsync();
        var (repo, commit) = _machine.SampleRepository();
        var input = await WorkspaceAsync(org, repository: repo, commit: commit);
        var activities = Activities();

        await Env.RunAsync(() => activities.StartAsync(input));
        var role = await Env.RunAsync(() => activities.AssumeRoleAsync(input));
        var applied = await Env.RunAsync(() => activities.ApplyTerraformAsync(input));
        var verified = await Env.RunAsync(() => activities.VerifyAsync(input, applied));

        var workspace = await LoadAsync(input.WorkspaceId);
        Assert.Equal(WorkspaceStatus.Ready, workspace.Status);
        Assert.Equal([ProvisioningStep.AssumeRole, ProvisioningStep.Terraform, ProvisioningStep.Verify], workspace.CompletedSteps);
        Assert.Equal(new Placement(LocalNames.Host(org), LocalNames.Region), workspace.Placement);
        Assert.Equal($"local:{LocalNames.Network(org)}", role.SessionName);
        Assert.Equal([LocalNames.Host(org)], applied.InstanceIds);
        Assert.Contains("root:none-standing", verified.Checks);

        // What each step did is on the stream, named as local work: no credential was issued, the host was created.
        var summaries = await SummariesAsync(input.WorkspaceId);
        Assert.StartsWith("local provider: no cloud credentials issued; Docker engine ", summaries[0], StringComparison.Ordinal);
        Assert.Contains($"host {LocalNames.Host(org)} created", summaries[1], StringComparison.Ordinal);
        Assert.Contains($"checkout {commit[..12]}", summaries[1], StringComparison.Ordinal);

        // The host is real: running on the org's own network, the checkout inside it, owned by the dev login.
        var host = (await _machine.Docker.InspectAsync(LocalNames.Host(org), CancellationToken.None))!;
        Assert.True(host.State.Running);
        Assert.Equal([LocalNames.Network(org)], host.NetworkSettings.Networks.Keys);
        Assert.Equal(org.ToString(), host.Config.Labels[LocalNames.OrgLabel]);
        Assert.Equal(0, await _machine.OnHostAsync(org, "dev", "test", "-O", $"/workspaces/{input.WorkspaceId:N}/envforge.yml"));
        Assert.False(await _machine.DevHasRootAsync(org));

        await using var query = _store.QuerySession();
        Assert.Equal(org, (await query.LoadAsync<RuntimeVm>(LocalNames.Host(org)))?.OrgId);
    }

    [Fact]
    public async Task The_host_is_created_once_per_org_and_a_retried_apply_appends_nothing_twice()
    {
        var org = await OrgAsync();
        var first = await WorkspaceAsync(org);
        var second = await WorkspaceAsync(org);
        var activities = Activities();
        foreach (var input in new[] { first, second })
        {
            await Env.RunAsync(() => activities.StartAsync(input));
            await Env.RunAsync(() => activities.AssumeRoleAsync(input));
        }

        await Env.RunAsync(() => activities.ApplyTerraformAsync(first));
        var hostId = (await _machine.Docker.InspectAsync(LocalNames.Host(org), CancellationToken.None))!.ID;
        var afterFirst = await VersionAsync(first.WorkspaceId);

        await Env.RunAsync(() => activities.ApplyTerraformAsync(first)); // a retry
        await Env.RunAsync(() => activities.ApplyTerraformAsync(second)); // the org's next workspace

        Assert.Equal(afterFirst, await VersionAsync(first.WorkspaceId));
        Assert.Equal(hostId, (await _machine.Docker.InspectAsync(LocalNames.Host(org), CancellationToken.None))!.ID);
        Assert.Single(await _machine.Docker.ListAsync(new Dictionary<string, string> { [LocalNames.OrgLabel] = org.ToString(), [LocalNames.RoleLabel] = "host" }, CancellationToken.None));
        Assert.Equal(LocalNames.Host(org), (await LoadAsync(second.WorkspaceId)).Placement?.InstanceId);
        Assert.Contains($"host {LocalNames.Host(org)} present", (await SummariesAsync(second.WorkspaceId))[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_applies_of_one_org_make_one_host()
    {
        var org = await OrgAsync();
        var inputs = new[] { await WorkspaceAsync(org), await WorkspaceAsync(org), await WorkspaceAsync(org) };
        var activities = Activities();
        foreach (var input in inputs)
        {
            await Env.RunAsync(() => activities.StartAsync(input));
            await Env.RunAsync(() => activities.AssumeRoleAsync(input));
        }

        // Each through its own hosts object, as separate worker processes would.
        await Task.WhenAll(inputs.Select(input => new ActivityEnvironment().RunAsync(() =>
            new LocalProvisioningActivities(_store, _machine.Docker, new LocalHosts(_machine.Docker, _machine.Paths), _machine.Paths, _machine.Repositories, TimeProvider.System)
                .ApplyTerraformAsync(input))));

        Assert.Single(await _machine.Docker.ListAsync(new Dictionary<string, string> { [LocalNames.OrgLabel] = org.ToString(), [LocalNames.RoleLabel] = "host" }, CancellationToken.None));
        var networks = await _machine.Docker.Client.Networks.ListNetworksAsync(new() { Filters = LocalDocker.Filter("name", LocalNames.Network(org)) });
        Assert.Single(networks, n => n.Name == LocalNames.Network(org));
    }

    [Fact]
    public async Task Verify_fails_retryably_while_the_host_does_not_answer()
    {
        var org = await OrgAsync();
        var input = await WorkspaceAsync(org);
        var activities = Activities();
        await Env.RunAsync(() => activities.StartAsync(input));
        await Env.RunAsync(() => activities.AssumeRoleAsync(input));
        var applied = await Env.RunAsync(() => activities.ApplyTerraformAsync(input));
        await _machine.Docker.Client.Containers.StopContainerAsync(LocalNames.Host(org), new() { WaitBeforeKillSeconds = 1 });

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => Env.RunAsync(() => activities.VerifyAsync(input, applied)));

        Assert.Equal("verification_failed", failure.ErrorType);
        Assert.False(failure.NonRetryable);
        Assert.Equal(WorkspaceStatus.Provisioning, (await LoadAsync(input.WorkspaceId)).Status);
    }

    [Fact]
    public async Task A_workspace_created_for_aws_is_never_provisioned_locally()
    {
        var org = await OrgAsync();
        var input = await WorkspaceAsync(org, InfrastructureProvider.Aws);
        var activities = Activities();
        await Env.RunAsync(() => activities.StartAsync(input));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => Env.RunAsync(() => activities.AssumeRoleAsync(input)));

        Assert.Equal("wrong_provider", failure.ErrorType);
        Assert.True(failure.NonRetryable);
        Assert.Null(await _machine.Docker.InspectAsync(LocalNames.Host(org), CancellationToken.None));
    }

    [Fact]
    public async Task Another_orgs_workspace_is_never_placed_on_an_orgs_host()
    {
        var acme = await OrgAsync();
        var globex = await OrgAsync();
        var acmeWorkspace = await WorkspaceAsync(acme);
        var activities = Activities();
        await Env.RunAsync(() => activities.StartAsync(acmeWorkspace));
        await Env.RunAsync(() => activities.AssumeRoleAsync(acmeWorkspace));
        await Env.RunAsync(() => activities.ApplyTerraformAsync(acmeWorkspace));
        var intruder = await WorkspaceAsync(globex);
        await Env.RunAsync(() => activities.StartAsync(intruder));
        var before = await VersionAsync(intruder.WorkspaceId);

        // The registry knows acme's host as acme's, exactly as for a VM: placing globex's workspace there is refused.
        Guid? owner;
        await using (var query = _store.QuerySession())
        {
            owner = (await query.LoadAsync<RuntimeVm>(LocalNames.Host(acme)))?.OrgId;
        }

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => ActivityStreams.DecideAsync(
            _store, WorkspaceDecider.Decider, intruder.WorkspaceId,
            w => new PlaceWorkspace(w!.Id, LocalNames.Host(acme), LocalNames.Region, owner, "test", DateTimeOffset.UtcNow), "test"));
        Assert.Equal("workspace.vm_of_another_org", failure.ErrorType);
        Assert.Equal(before, await VersionAsync(intruder.WorkspaceId));
    }

    [Fact]
    public async Task Destroy_removes_the_workspaces_containers_and_checkout_keeps_the_host_and_is_safe_to_repeat()
    {
        var org = await OrgAsync();
        var (repo, commit) = _machine.SampleRepository();
        var input = await WorkspaceAsync(org, repository: repo, commit: commit);
        var activities = Activities();
        await Env.RunAsync(() => activities.StartAsync(input));
        await Env.RunAsync(() => activities.AssumeRoleAsync(input));
        await Env.RunAsync(() => activities.ApplyTerraformAsync(input));
        await Env.RunAsync(() => activities.FailAsync(input, ProvisioningStep.Verify, "test"));
        var checkout = _machine.Paths.Checkout(org, input.WorkspaceId);
        Assert.True(Directory.Exists(checkout));

        await Env.RunAsync(() => activities.DestroyAsync(input));
        var afterFirst = await VersionAsync(input.WorkspaceId);
        await Env.RunAsync(() => activities.DestroyAsync(input));

        Assert.False(Directory.Exists(checkout));
        Assert.True((await LoadAsync(input.WorkspaceId)).ResourcesDestroyed);
        Assert.Equal(afterFirst, await VersionAsync(input.WorkspaceId));
        Assert.NotNull(await _machine.Docker.InspectAsync(LocalNames.Host(org), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }

        _store?.Dispose();
    }
}
