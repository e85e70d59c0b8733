using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
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

    /// <summary>Activity on an awake workspace (dev-URL traffic): restarts its idle timer.</summary>
    Task HeartbeatAsync(Guid workspaceId, CancellationToken ct);

    /// <summary>Starts a grant's workflow; a retried start for the same grant is a no-op.</summary>
    Task StartElevationAsync(ElevationInput input, CancellationToken ct);

    /// <summary>Tells a grant's workflow about a decision the API has just recorded on its stream.</summary>
    Task SignalElevationAsync(Guid grantId, ElevationSignal signal, CancellationToken ct);

    /// <summary>The grant workflow's own progress, or null when no server is reachable or the workflow is unknown to it.</summary>
    Task<ElevationProgress?> QueryElevationAsync(Guid grantId, CancellationToken ct);

    /// <summary>Starts a dev link's expiry timer; a retried start is a no-op.</summary>
    Task StartDevLinkExpiryAsync(DevLinkExpiryInput input, CancellationToken ct);

    /// <summary>Ends a revoked link's expiry timer early (the revoke itself is already recorded and enforced).</summary>
    Task SignalDevLinkRevokedAsync(Guid linkId, CancellationToken ct);
}

/// <summary>A decision on a grant, already recorded on its stream, for its workflow to act on.</summary>
public abstract record ElevationSignal(string Actor)
{
    public sealed record Approved(string Actor, bool Complete) : ElevationSignal(Actor);

    public sealed record Denied(string Actor) : ElevationSignal(Actor);

    public sealed record Revoked(string Actor) : ElevationSignal(Actor);

    public sealed record PolicyDisabled(string Actor) : ElevationSignal(Actor);
}

/// <summary>The Temporal implementation: workflow ids derive from stream ids, so starts and signals need no lookup.</summary>
public sealed class TemporalWorkflowLauncher(TemporalRuntime temporal) : IWorkflowLauncher
{
    public string? TryGetUnavailableReason() => temporal.Client is null
        ? temporal.UnavailableReason ?? "the connection to Temporal is still being established"
        : null;

    public Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct) =>
        StartOnceAsync((ProvisionWorkspaceWorkflow wf) => wf.RunAsync(input), ProvisionWorkspaceInput.WorkflowId(input.WorkspaceId), ct);

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

    public Task HeartbeatAsync(Guid workspaceId, CancellationToken ct) =>
        Client.GetWorkflowHandle<WorkspaceRuntimeWorkflow>(RuntimeInput.WorkflowId(workspaceId))
            .SignalAsync(wf => wf.HeartbeatAsync(), new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } });

    public Task StartElevationAsync(ElevationInput input, CancellationToken ct) =>
        StartOnceAsync((RootElevationWorkflow wf) => wf.RunAsync(input), ElevationInput.WorkflowId(input.GrantId), ct);

    public Task SignalElevationAsync(Guid grantId, ElevationSignal signal, CancellationToken ct)
    {
        var handle = Client.GetWorkflowHandle<RootElevationWorkflow>(ElevationInput.WorkflowId(grantId));
        var options = new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } };
        return signal switch
        {
            ElevationSignal.Approved a => handle.SignalAsync(wf => wf.ApproveAsync(new ApprovalSignal(a.Actor, a.Complete)), options),
            ElevationSignal.Denied d => handle.SignalAsync(wf => wf.DenyAsync(d.Actor), options),
            ElevationSignal.Revoked r => handle.SignalAsync(wf => wf.RevokeAsync(r.Actor), options),
            ElevationSignal.PolicyDisabled p => handle.SignalAsync(wf => wf.DisablePolicyAsync(p.Actor), options),
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal.GetType().Name, "unknown elevation signal"),
        };
    }

    public async Task<ElevationProgress?> QueryElevationAsync(Guid grantId, CancellationToken ct)
    {
        if (temporal.Client is not { } client)
        {
            return null;
        }

        try
        {
            return await client.GetWorkflowHandle<RootElevationWorkflow>(ElevationInput.WorkflowId(grantId))
                .QueryAsync(wf => wf.Progress, new WorkflowQueryOptions { Rpc = new RpcOptions { CancellationToken = ct } });
        }
        catch (RpcException ex) when (ex.Code is RpcException.StatusCode.NotFound or RpcException.StatusCode.Unavailable
            or RpcException.StatusCode.DeadlineExceeded)
        {
            return null; // unknown to this server (e.g. long since completed and archived), or the server is away
        }
        catch (WorkflowQueryFailedException)
        {
            return null;
        }
    }

    public Task StartDevLinkExpiryAsync(DevLinkExpiryInput input, CancellationToken ct) =>
        StartOnceAsync((DevLinkExpiryWorkflow wf) => wf.RunAsync(input), DevLinkExpiryInput.WorkflowId(input.LinkId), ct);

    public Task SignalDevLinkRevokedAsync(Guid linkId, CancellationToken ct) =>
        Client.GetWorkflowHandle<DevLinkExpiryWorkflow>(DevLinkExpiryInput.WorkflowId(linkId))
            .SignalAsync(wf => wf.RevokedAsync(), new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } });

    /// <summary>Starts a workflow whose id derives from its stream; a retried request finds it running and does nothing.</summary>
    private async Task StartOnceAsync<TWorkflow, TResult>(
        System.Linq.Expressions.Expression<Func<TWorkflow, Task<TResult>>> run, string workflowId, CancellationToken ct)
    {
        try
        {
            await Client.StartWorkflowAsync(run, new WorkflowOptions(workflowId, temporal.TaskQueue)
            {
                IdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.RejectDuplicate,
                Rpc = new RpcOptions { CancellationToken = ct },
            });
        }
        catch (WorkflowAlreadyStartedException)
        {
            // A retried request: the workflow already runs.
        }
    }

    private ITemporalClient Client => temporal.Client ?? throw new InvalidOperationException(TryGetUnavailableReason());
}
