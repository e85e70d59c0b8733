using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Infrastructure;
using Temporalio.Client;

namespace EnvForge.Workflows.Workspaces;

/// <summary>How the API and the gateway drive a workspace's workflows: provisioning, and its runtime (wake, sleep, activity).</summary>
public interface IWorkspaceWorkflows
{
    /// <summary>Null when workflows can run; otherwise a reason safe to show the caller (the endpoint answers 503).</summary>
    string? UnavailableReason { get; }

    /// <summary>Starts the workspace's provisioning; a retried start is a no-op.</summary>
    Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct);

    Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct);

    /// <summary>Wakes the workspace's runtime, starting its runtime workflow if it is not running yet.</summary>
    Task WakeAsync(RuntimeInput input, WakeTrigger trigger, CancellationToken ct);

    Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct);

    /// <summary>Activity on an awake workspace (dev-URL traffic): restarts its idle timer.</summary>
    Task HeartbeatAsync(Guid workspaceId, CancellationToken ct);
}

/// <summary>The Temporal implementation: workflow ids derive from the workspace id, so starts and signals need no lookup.</summary>
public sealed class WorkspaceWorkflows(TemporalRuntime temporal) : IWorkspaceWorkflows
{
    public string? UnavailableReason => temporal.WhyUnavailable;

    public Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct) =>
        temporal.StartOnceAsync((ProvisionWorkspaceWorkflow wf) => wf.RunAsync(input), ProvisionWorkspaceInput.WorkflowId(input.WorkspaceId), ct);

    public Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct) =>
        temporal.SignalAsync<ProvisionWorkspaceWorkflow>(ProvisionWorkspaceInput.WorkflowId(workspaceId), wf => wf.CancelAsync(actor), ct);

    public Task WakeAsync(RuntimeInput input, WakeTrigger trigger, CancellationToken ct)
    {
        var options = new WorkflowOptions(RuntimeInput.WorkflowId(input.WorkspaceId), temporal.TaskQueue) { Rpc = new RpcOptions { CancellationToken = ct } };
        options.SignalWithStart((WorkspaceRuntimeWorkflow wf) => wf.WakeAsync(trigger));
        return temporal.RequireClient().StartWorkflowAsync((WorkspaceRuntimeWorkflow wf) => wf.RunAsync(input), options);
    }

    public Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct) =>
        temporal.SignalAsync<WorkspaceRuntimeWorkflow>(RuntimeInput.WorkflowId(workspaceId), wf => wf.SleepAsync(actor), ct);

    public Task HeartbeatAsync(Guid workspaceId, CancellationToken ct) =>
        temporal.SignalAsync<WorkspaceRuntimeWorkflow>(RuntimeInput.WorkflowId(workspaceId), wf => wf.HeartbeatAsync(), ct);
}
