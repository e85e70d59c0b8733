using System.Collections.Concurrent;
using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Workspaces;

namespace EnvForge.Tests.Infrastructure;

// Stand-ins for a Temporal server, which cannot run on these machines: each records the workflow starts and signals
// its capability's API asks for. The workflows themselves are tested by replay and, where a server is reachable, live.

public sealed class RecordingWorkspaceWorkflows : IWorkspaceWorkflows
{
    public ConcurrentQueue<ProvisionWorkspaceInput> Provisioning { get; } = new();

    public ConcurrentQueue<(Guid WorkspaceId, string Actor)> Cancels { get; } = new();

    public ConcurrentQueue<(RuntimeInput Input, WakeTrigger Trigger)> Wakes { get; } = new();

    public ConcurrentQueue<(Guid WorkspaceId, string Actor)> Sleeps { get; } = new();

    public ConcurrentQueue<Guid> Heartbeats { get; } = new();

    public string? UnavailableReason => null;

    public Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct) => Record(Provisioning, input);

    public Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct) => Record(Cancels, (workspaceId, actor));

    public Task WakeAsync(RuntimeInput input, WakeTrigger trigger, CancellationToken ct) => Record(Wakes, (input, trigger));

    public Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct) => Record(Sleeps, (workspaceId, actor));

    public Task HeartbeatAsync(Guid workspaceId, CancellationToken ct) => Record(Heartbeats, workspaceId);

    private static Task Record<T>(ConcurrentQueue<T> queue, T item)
    {
        queue.Enqueue(item);
        return Task.CompletedTask;
    }
}

/// <summary>A signal the grant's workflow was sent, as the Temporal client sends it for each recorded decision.</summary>
public abstract record ElevationSignal(string Actor)
{
    public sealed record Approved(string Actor, bool Complete) : ElevationSignal(Actor);

    public sealed record Denied(string Actor) : ElevationSignal(Actor);

    public sealed record Revoked(string Actor) : ElevationSignal(Actor);

    public sealed record PolicyDisabled(string Actor) : ElevationSignal(Actor);
}

public sealed class RecordingElevationWorkflows : IElevationWorkflows
{
    public ConcurrentQueue<ElevationInput> Elevations { get; } = new();

    public ConcurrentQueue<(Guid GrantId, ElevationSignal Signal)> ElevationSignals { get; } = new();

    /// <summary>What <see cref="QueryAsync"/> answers, by grant id (nothing: as if no server knew the workflow).</summary>
    public ConcurrentDictionary<Guid, ElevationProgress> ElevationProgress { get; } = new();

    public string? UnavailableReason => null;

    public Task StartAsync(ElevationInput input, CancellationToken ct)
    {
        Elevations.Enqueue(input);
        return Task.CompletedTask;
    }

    /// <summary>The signal each recorded decision is sent as (the Temporal client's mapping); other events send none.</summary>
    public Task NotifyAsync(Guid grantId, IReadOnlyList<IDomainEvent> recorded, CancellationToken ct)
    {
        foreach (var e in recorded)
        {
            ElevationSignal? signal = e switch
            {
                ElevationApproved a => new ElevationSignal.Approved(a.Approver, a.ApprovalsGiven >= a.ApprovalsRequired),
                ElevationDenied d => new ElevationSignal.Denied(d.Approver),
                ElevationRevoked r => new ElevationSignal.Revoked(r.RevokedBy),
                _ => null,
            };
            if (signal is not null)
            {
                ElevationSignals.Enqueue((grantId, signal));
            }
        }

        return Task.CompletedTask;
    }

    public Task DisablePolicyAsync(Guid grantId, string actor, CancellationToken ct)
    {
        ElevationSignals.Enqueue((grantId, new ElevationSignal.PolicyDisabled(actor)));
        return Task.CompletedTask;
    }

    public Task<ElevationProgress?> QueryAsync(Guid grantId, CancellationToken ct) =>
        Task.FromResult(ElevationProgress.TryGetValue(grantId, out var progress) ? progress : null);
}

public sealed class RecordingDevLinkWorkflows : IDevLinkWorkflows
{
    public ConcurrentQueue<DevLinkExpiryInput> DevLinkExpiries { get; } = new();

    public ConcurrentQueue<Guid> DevLinkRevocations { get; } = new();

    public string? UnavailableReason => null;

    public Task StartExpiryAsync(DevLinkExpiryInput input, CancellationToken ct)
    {
        DevLinkExpiries.Enqueue(input);
        return Task.CompletedTask;
    }

    public Task RevokedAsync(Guid linkId, CancellationToken ct)
    {
        DevLinkRevocations.Enqueue(linkId);
        return Task.CompletedTask;
    }
}
