using EnvForge.Workflows.Workspaces;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Hosting;

/// <summary>
/// How the API starts and signals EnvForge's workflows. Every call first asks <see cref="TryGetUnavailableReason"/>,
/// so an endpoint can answer 503 before it appends anything.
/// </summary>
public interface IWorkflowLauncher
{
    /// <summary>Null when workflows can run; otherwise a reason safe to show the caller.</summary>
    string? TryGetUnavailableReason();

    Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct);

    Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct);

    /// <summary>Wakes the workspace's runtime, starting its runtime workflow if it is not running yet.</summary>
    Task WakeAsync(RuntimeInput input, Domain.Workspaces.WakeTrigger trigger, CancellationToken ct);

    Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct);
}

/// <summary>The Temporal implementation: workflow ids derive from stream ids, so starts and signals need no lookup.</summary>
public sealed class TemporalWorkflowLauncher(TemporalRuntime temporal) : IWorkflowLauncher
{
    public string? TryGetUnavailableReason() => temporal.Client is null
        ? temporal.UnavailableReason ?? "the connection to Temporal is still being established"
        : null;

    public async Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct)
    {
        try
        {
            await Client.StartWorkflowAsync(
                (ProvisionWorkspaceWorkflow wf) => wf.RunAsync(input),
                new WorkflowOptions(ProvisionWorkspaceInput.WorkflowId(input.WorkspaceId), temporal.TaskQueue)
                {
                    IdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.RejectDuplicate,
                    Rpc = new RpcOptions { CancellationToken = ct },
                });
        }
        catch (WorkflowAlreadyStartedException)
        {
            // A retried request: the workflow for this workspace already runs.
        }
    }

    public Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct) =>
        Client.GetWorkflowHandle<ProvisionWorkspaceWorkflow>(ProvisionWorkspaceInput.WorkflowId(workspaceId))
            .SignalAsync(wf => wf.CancelAsync(actor), new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } });

    public Task WakeAsync(RuntimeInput input, Domain.Workspaces.WakeTrigger trigger, CancellationToken ct)
    {
        var options = new WorkflowOptions(RuntimeInput.WorkflowId(input.WorkspaceId), temporal.TaskQueue) { Rpc = new RpcOptions { CancellationToken = ct } };
        options.SignalWithStart((WorkspaceRuntimeWorkflow wf) => wf.WakeAsync(trigger));
        return Client.StartWorkflowAsync((WorkspaceRuntimeWorkflow wf) => wf.RunAsync(input), options);
    }

    public Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct) =>
        Client.GetWorkflowHandle<WorkspaceRuntimeWorkflow>(RuntimeInput.WorkflowId(workspaceId))
            .SignalAsync(wf => wf.SleepAsync(actor), new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } });

    private ITemporalClient Client => temporal.Client ?? throw new InvalidOperationException(TryGetUnavailableReason());
}
