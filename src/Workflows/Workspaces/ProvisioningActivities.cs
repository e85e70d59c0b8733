using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Workspaces;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Terraform;
using Marten;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// The I/O of provisioning. Each activity loads the workspace, decides, and appends with the expected version, so a
/// retried activity appends nothing twice (idempotent by workspace id + step). Activity names are explicit and prefixed:
/// they are part of every recorded history, and one worker hosts every capability. Credentials never leave an activity:
/// not in results, not in heartbeats, not in failure messages (which Temporal stores in its history).
/// </summary>
public sealed class ProvisioningActivities(
    IDocumentStore store,
    OrgAwsAccess access,
    ITerraformRunner terraform,
    IInstanceVerifier verifier,
    IOptions<AwsOptions> aws,
    TimeProvider time) : IProvisioningActivities
{
    private const string Actor = ProvisioningRecords.Actor;

    [Activity("WorkspaceProvisioning.Start")]
    public Task StartAsync(ProvisionWorkspaceInput input) =>
        ProvisioningRecords.StartAsync(store, input, time);

    /// <summary>Assumes the org's role (STS, external id) to prove access; returns only the session name and expiry.</summary>
    [Activity("WorkspaceProvisioning.AssumeRole")]
    public async Task<RoleCheck> AssumeRoleAsync(ProvisionWorkspaceInput input)
    {
        var (credentials, request) = await AssumeAsync(input);
        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new CompleteStep(
            w.Id, ProvisioningStep.AssumeRole, $"session {request.SessionName} for {request.Duration.TotalMinutes:0} min", Actor, time.GetUtcNow()), Actor);
        return new RoleCheck(request.SessionName, credentials.Expiration);
    }

    /// <summary>Runs terraform apply with fresh credentials in the child process only; records progress and placement.</summary>
    [Activity("WorkspaceProvisioning.ApplyTerraform")]
    public async Task<TerraformApplied> ApplyTerraformAsync(ProvisionWorkspaceInput input)
    {
        var workspace = await LoadWorkspaceAsync(input.WorkspaceId);
        var region = aws.Value.Region;
        var outcome = await RunTerraformAsync(input, new TerraformRun(workspace.Id, TerraformCommand.Apply, region, Variables(workspace, region)));
        if (!outcome.Succeeded)
        {
            throw new ApplicationFailureException($"terraform apply failed: {outcome.Error}", "terraform_failed", nonRetryable: true);
        }

        if (outcome.InstanceIds.Count == 0)
        {
            throw new ApplicationFailureException("terraform apply reported no instance_ids output", "terraform_no_instances", nonRetryable: true);
        }

        await ProvisioningRecords.StepCompletedAsync(store, input.WorkspaceId, ProvisioningStep.Terraform, outcome.Summary, time);
        var instance = outcome.InstanceIds[0];
        await using (var query = store.QuerySession())
        {
            var owner = (await query.LoadAsync<RuntimeVm>(instance, Ct))?.OrgId;
            await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new PlaceWorkspace(w.Id, instance, region, owner, Actor, time.GetUtcNow()), Actor);
        }

        return new TerraformApplied(outcome.InstanceIds, region, outcome.Summary);
    }

    /// <summary>EC2 and SSM checks on the reported instances, then Ready with the readiness receipt.</summary>
    [Activity("WorkspaceProvisioning.Verify")]
    public async Task<Verified> VerifyAsync(ProvisionWorkspaceInput input, TerraformApplied applied)
    {
        var (credentials, _) = await AssumeAsync(input);
        IReadOnlyList<string> checks;
        try
        {
            checks = await verifier.VerifyAsync(credentials, applied.Region, applied.InstanceIds, Ct);
        }
        catch (VerificationFailedException ex)
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

    /// <summary>Compensation: terraform destroy, then the destroyed event. Safe to repeat, and when nothing was created.</summary>
    [Activity("WorkspaceProvisioning.Destroy")]
    public async Task DestroyAsync(ProvisionWorkspaceInput input)
    {
        var workspace = await LoadWorkspaceAsync(input.WorkspaceId);
        if (workspace.ResourcesDestroyed)
        {
            return;
        }

        var region = aws.Value.Region;
        var outcome = await RunTerraformAsync(input, new TerraformRun(workspace.Id, TerraformCommand.Destroy, region, Variables(workspace, region)));
        if (!outcome.Succeeded)
        {
            // Retryable: leaving resources behind in the customer's account is worse than trying again.
            throw new ApplicationFailureException($"terraform destroy failed: {outcome.Error}", "terraform_destroy_failed");
        }

        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new RecordResourcesDestroyed(w.Id, outcome.Summary, Actor, time.GetUtcNow()), Actor);
    }

    /// <summary>
    /// Runs terraform, heartbeating with each progress line and, while terraform is silent (a long resource create),
    /// every 30 s: the heartbeat timeout catches a dead worker, and a heartbeat is how the activity learns of a cancel.
    /// </summary>
    private async Task<TerraformOutcome> RunTerraformAsync(ProvisionWorkspaceInput input, TerraformRun run)
    {
        var context = ActivityExecutionContext.Current;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var keepAlive = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);
            while (await timer.WaitForNextTickAsync(done.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
            {
                context.Heartbeat($"terraform {run.Command.ToString().ToLowerInvariant()} running");
            }
        });
        try
        {
            return await terraform.RunAsync(run, async _ => (await AssumeAsync(input)).Credentials, progress => context.Heartbeat(progress.Message), Ct);
        }
        finally
        {
            await done.CancelAsync();
            await keepAlive;
        }
    }

    private static CancellationToken Ct => ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;

    private static Dictionary<string, string> Variables(Workspace workspace, string region) => new()
    {
        ["workspace_id"] = workspace.Id.ToString(),
        ["org_id"] = workspace.OrgId.ToString(),
        ["workspace_name"] = workspace.Name,
        ["repository"] = workspace.Repository,
        ["branch"] = workspace.Branch,
        ["region"] = region,
    };

    private Task<Workspace> LoadWorkspaceAsync(Guid workspaceId) => WorkspaceStream.LoadAsync(store, workspaceId, Ct);

    private Task<(AwsSessionCredentials Credentials, AssumeRoleRequest Request)> AssumeAsync(ProvisionWorkspaceInput input) =>
        access.AssumeAsync(input.OrgId, input.WorkspaceId, input.RequestedBy, Ct);
}
