using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Workflows.Infrastructure;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Elevation;

/// <summary>How the API drives a grant's workflow: start it, tell it what was recorded on its stream, ask its progress.</summary>
public interface IElevationWorkflows
{
    /// <summary>Null when workflows can run; otherwise a reason safe to show the caller (the endpoint answers 503).</summary>
    string? UnavailableReason { get; }

    /// <summary>Starts a grant's workflow; a retried start for the same grant is a no-op.</summary>
    Task StartAsync(ElevationInput input, CancellationToken ct);

    /// <summary>
    /// Tells the grant's workflow about decisions just recorded on its stream: each approval, denial or revocation
    /// becomes the workflow's signal of the same name. Other events need no signal.
    /// </summary>
    Task NotifyAsync(Guid grantId, IReadOnlyList<IDomainEvent> recorded, CancellationToken ct);

    /// <summary>Root was switched off for the org: the grant's workflow ends it.</summary>
    Task DisablePolicyAsync(Guid grantId, string actor, CancellationToken ct);

    /// <summary>The grant workflow's own progress, or null when no server is reachable or the workflow is unknown to it.</summary>
    Task<ElevationProgress?> QueryAsync(Guid grantId, CancellationToken ct);
}

/// <summary>The Temporal implementation: the workflow id derives from the grant id (<c>elevation-{grantId}</c>).</summary>
public sealed class ElevationWorkflows(TemporalRuntime temporal) : IElevationWorkflows
{
    public string? UnavailableReason => temporal.WhyUnavailable;

    public Task StartAsync(ElevationInput input, CancellationToken ct) =>
        temporal.StartOnceAsync((RootElevationWorkflow wf) => wf.RunAsync(input), ElevationInput.WorkflowId(input.GrantId), ct);

    public async Task NotifyAsync(Guid grantId, IReadOnlyList<IDomainEvent> recorded, CancellationToken ct)
    {
        var id = ElevationInput.WorkflowId(grantId);
        foreach (var e in recorded)
        {
            var signalled = e switch
            {
                ElevationApproved a => temporal.SignalAsync<RootElevationWorkflow>(
                    id, wf => wf.ApproveAsync(new ApprovalSignal(a.Approver, a.ApprovalsGiven >= a.ApprovalsRequired)), ct),
                ElevationDenied d => temporal.SignalAsync<RootElevationWorkflow>(id, wf => wf.DenyAsync(d.Approver), ct),
                ElevationRevoked r => temporal.SignalAsync<RootElevationWorkflow>(id, wf => wf.RevokeAsync(r.RevokedBy), ct),
                _ => null,
            };
            if (signalled is not null)
            {
                await signalled;
            }
        }
    }

    public Task DisablePolicyAsync(Guid grantId, string actor, CancellationToken ct) =>
        temporal.SignalAsync<RootElevationWorkflow>(ElevationInput.WorkflowId(grantId), wf => wf.DisablePolicyAsync(actor), ct);

    public async Task<ElevationProgress?> QueryAsync(Guid grantId, CancellationToken ct)
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
}
