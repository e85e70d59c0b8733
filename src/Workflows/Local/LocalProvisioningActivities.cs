using Docker.DotNet;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Workspaces;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Provisioning on this machine: the same activities as <see cref="ProvisioningActivities"/> (the same names, arguments
/// and results, so the same workflow and its recorded histories), each doing real local work and recording it as such.
/// "AssumeRole" assumes nothing (there are no cloud credentials here): it checks the Docker engine and the host image and
/// records that no credential was issued. "Terraform" applies the org's host: its network and long-lived host container
/// (created once per org, found again on retry) and the workspace's checkout at the recorded commit. "Verify" checks that
/// the host answers. Placement is the org's host, under the same one-org-per-host registry as VMs.
/// </summary>
public sealed class LocalProvisioningActivities(
    IDocumentStore store, LocalDocker docker, LocalHosts hosts, LocalPaths paths, GitRepositories git, TimeProvider time) : IProvisioningActivities
{
    private const string Actor = ProvisioningRecords.Actor;

    [Activity("WorkspaceProvisioning.Start")]
    public Task StartAsync(ProvisionWorkspaceInput input) =>
        ProvisioningRecords.StartAsync(store, input, time);

    /// <summary>The credentials step of a provider that has none: the engine answers and the host image is here.</summary>
    [Activity("WorkspaceProvisioning.AssumeRole")]
    public async Task<RoleCheck> AssumeRoleAsync(ProvisionWorkspaceInput input)
    {
        await LoadLocalAsync(input.WorkspaceId);
        string engine;
        try
        {
            engine = await docker.VersionAsync(Ct);
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            throw new ApplicationFailureException($"the Docker engine does not answer at {docker.Options.DockerEndpoint}", "docker_unavailable", nonRetryable: false);
        }

        if (!await docker.ImageExistsAsync(docker.Options.HostImage, Ct))
        {
            throw new ApplicationFailureException(
                $"the host image {docker.Options.HostImage} is missing; build it with ops/lib/images.sh", "host_image_missing", nonRetryable: true);
        }

        var scope = LocalNames.Network(input.OrgId);
        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new CompleteStep(
            w.Id, ProvisioningStep.AssumeRole, $"local provider: no cloud credentials issued; Docker engine {engine} answers; org scope {scope}", Actor,
            time.GetUtcNow()), Actor);
        return new RoleCheck($"local:{scope}", DateTimeOffset.MaxValue);
    }

    /// <summary>The org's network and host (once per org), the checkout at the recorded commit, then placement on the host.</summary>
    [Activity("WorkspaceProvisioning.ApplyTerraform")]
    public async Task<TerraformApplied> ApplyTerraformAsync(ProvisionWorkspaceInput input)
    {
        var workspace = await LoadLocalAsync(input.WorkspaceId);
        OrgHost host;
        try
        {
            host = await hosts.EnsureAsync(workspace.OrgId, Ct);
        }
        catch (HostOwnershipException ex)
        {
            throw new ApplicationFailureException(ex.Message, "host_of_another_org", nonRetryable: true);
        }

        Heartbeat($"host {host.Host} {(host.HostCreated ? "created" : "present")}");
        var checkout = await CheckOutAsync(workspace, host.Host);
        var summary = $"local: network {host.Network} {(host.NetworkCreated ? "created" : "present")}, host {host.Host} "
            + $"{(host.HostCreated ? "created" : "present")}, {checkout}";
        await ProvisioningRecords.StepCompletedAsync(store, input.WorkspaceId, ProvisioningStep.Terraform, summary, time);
        await PlaceAsync(input.WorkspaceId, host.Host);
        return new TerraformApplied([host.Host], LocalNames.Region, summary);
    }

    /// <summary>
    /// Placement on the org's host, under the registry's one-org-per-host rule. An org's workspaces often provision at
    /// once: when another placement registered the host first (the registry's insert fails), read the owner and decide again.
    /// </summary>
    private async Task PlaceAsync(Guid workspaceId, string host)
    {
        for (var attempt = 1; ; attempt++)
        {
            Guid? owner;
            await using (var query = store.QuerySession())
            {
                owner = (await query.LoadAsync<RuntimeVm>(host, Ct))?.OrgId;
            }

            try
            {
                await WorkspaceStream.DecideAsync(store, workspaceId, w => new PlaceWorkspace(w.Id, host, LocalNames.Region, owner, Actor, time.GetUtcNow()), Actor);
                return;
            }
            catch (JasperFx.DocumentAlreadyExistsException) when (owner is null && attempt < 3)
            {
                // registered by a concurrent placement a moment ago
            }
        }
    }

    /// <summary>The host runs, answers as the dev login, sits on its org's network only and holds no standing root; then Ready.</summary>
    [Activity("WorkspaceProvisioning.Verify")]
    public async Task<Verified> VerifyAsync(ProvisionWorkspaceInput input, TerraformApplied applied)
    {
        var workspace = await LoadLocalAsync(input.WorkspaceId);
        if (applied.InstanceIds is not [var placed] || placed != LocalNames.Host(workspace.OrgId))
        {
            throw new ApplicationFailureException("apply reported another host than the org's own", "verification_failed", nonRetryable: true);
        }

        IReadOnlyList<string> checks;
        try
        {
            checks = await hosts.VerifyAsync(workspace.OrgId, Ct);
        }
        catch (Exception ex) when (ex is HostVerificationException or HostOwnershipException or DockerApiException)
        {
            throw new ApplicationFailureException(ex.Message, "verification_failed", nonRetryable: false);
        }

        return await ProvisioningRecords.ReadyAsync(store, input.WorkspaceId, checks, time);
    }

    [Activity("WorkspaceProvisioning.Fail")]
    public Task FailAsync(ProvisionWorkspaceInput input, ProvisioningStep step, string reason) =>
        ProvisioningRecords.FailedAsync(store, input, step, reason, time);

    [Activity("WorkspaceProvisioning.Cancel")]
    public Task CancelAsync(ProvisionWorkspaceInput input, string actor) =>
        ProvisioningRecords.CancelledAsync(store, input, actor, time);

    /// <summary>
    /// Compensation: the workspace's containers and checkout go; the org's host stays for the org's other workspaces.
    /// Safe to repeat, and when nothing was created.
    /// </summary>
    [Activity("WorkspaceProvisioning.Destroy")]
    public async Task DestroyAsync(ProvisionWorkspaceInput input)
    {
        var workspace = await WorkspaceStream.LoadAsync(store, input.WorkspaceId, Ct);
        if (workspace.ResourcesDestroyed)
        {
            return;
        }

        var containers = await docker.ListAsync(new Dictionary<string, string> { [LocalNames.WorkspaceLabel] = workspace.Id.ToString() }, Ct);
        foreach (var container in containers)
        {
            await docker.RemoveAsync(container.ID, Ct);
        }

        var checkout = paths.Checkout(workspace.OrgId, workspace.Id);
        var removed = Directory.Exists(checkout);
        if (removed)
        {
            Directory.Delete(checkout, recursive: true);
        }

        var summary = $"local: removed {containers.Count} service container(s){(removed ? " and the checkout" : "")}; the org's host stays";
        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new RecordResourcesDestroyed(w.Id, summary, Actor, time.GetUtcNow()), Actor);
    }

    /// <summary>The workspace's directory of the repository at the recorded commit, owned by the host's dev login.</summary>
    private async Task<string> CheckOutAsync(Workspace workspace, string host)
    {
        if (workspace.Commit is null)
        {
            return "no checkout (services declared through the API)";
        }

        int files;
        try
        {
            var snapshot = await git.ResolveAsync(workspace.Repository, workspace.Branch, workspace.Commit, Ct);
            files = await GitRepositories.ExportAsync(snapshot, paths.Checkout(workspace.OrgId, workspace.Id), Ct);
        }
        catch (RepositoryException ex)
        {
            throw new ApplicationFailureException(ex.Message, ex.Code, nonRetryable: true);
        }

        var chown = await docker.ExecAsync(host, "root", ["chown", "-R", "dev:dev", $"{LocalNames.HostWorkspaces}/{workspace.Id:N}"], Ct);
        if (chown.ExitCode != 0)
        {
            throw new ApplicationFailureException($"the checkout could not be given to the dev login on {host} (exit {chown.ExitCode})", "checkout_failed", nonRetryable: false);
        }

        return $"checkout {workspace.Commit[..Math.Min(12, workspace.Commit.Length)]} ({files} files) at {LocalNames.HostWorkspaces}/{workspace.Id:N}";
    }

    private async Task<Workspace> LoadLocalAsync(Guid workspaceId)
    {
        var workspace = await WorkspaceStream.LoadAsync(store, workspaceId, Ct);
        return workspace.Provider == InfrastructureProvider.Local
            ? workspace
            : throw new ApplicationFailureException(
                $"the workspace was created for the {workspace.Provider} provider; this deployment provisions Local workspaces", "wrong_provider", nonRetryable: true);
    }

    private static CancellationToken Ct => ActivityStreams.CancellationToken;

    private static void Heartbeat(string progress)
    {
        if (ActivityExecutionContext.HasCurrent)
        {
            ActivityExecutionContext.Current.Heartbeat(progress);
        }
    }
}
