using System.Collections.Concurrent;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Hosting;
using EnvForge.Workflows.Workspaces;

namespace EnvForge.Tests.Infrastructure;

/// <summary>
/// Stand-in for a Temporal server, which cannot run on these machines: records the workflow starts and signals the
/// API asks for. The workflows themselves are tested by replay and, where a server is reachable, live.
/// </summary>
public sealed class RecordingWorkflowLauncher : IWorkflowLauncher
{
    public ConcurrentQueue<ProvisionWorkspaceInput> Provisioning { get; } = new();

    public ConcurrentQueue<(Guid WorkspaceId, string Actor)> Cancels { get; } = new();

    public ConcurrentQueue<(RuntimeInput Input, EnvForge.Domain.Workspaces.WakeTrigger Trigger)> Wakes { get; } = new();

    public ConcurrentQueue<(Guid WorkspaceId, string Actor)> Sleeps { get; } = new();

    public ConcurrentQueue<ElevationInput> Elevations { get; } = new();

    public ConcurrentQueue<(Guid GrantId, ElevationSignal Signal)> ElevationSignals { get; } = new();

    /// <summary>What <see cref="QueryElevationAsync"/> answers, by grant id (nothing: as if no server knew the workflow).</summary>
    public ConcurrentDictionary<Guid, ElevationProgress> ElevationProgress { get; } = new();

    public ConcurrentQueue<DevLinkExpiryInput> DevLinkExpiries { get; } = new();

    public ConcurrentQueue<Guid> DevLinkRevocations { get; } = new();

    public ConcurrentQueue<Guid> Heartbeats { get; } = new();

    public string? TryGetUnavailableReason() => null;

    public Task HeartbeatAsync(Guid workspaceId, CancellationToken ct)
    {
        Heartbeats.Enqueue(workspaceId);
        return Task.CompletedTask;
    }

    public Task StartDevLinkExpiryAsync(DevLinkExpiryInput input, CancellationToken ct)
    {
        DevLinkExpiries.Enqueue(input);
        return Task.CompletedTask;
    }

    public Task SignalDevLinkRevokedAsync(Guid linkId, CancellationToken ct)
    {
        DevLinkRevocations.Enqueue(linkId);
        return Task.CompletedTask;
    }

    public Task StartElevationAsync(ElevationInput input, CancellationToken ct)
    {
        Elevations.Enqueue(input);
        return Task.CompletedTask;
    }

    public Task SignalElevationAsync(Guid grantId, ElevationSignal signal, CancellationToken ct)
    {
        ElevationSignals.Enqueue((grantId, signal));
        return Task.CompletedTask;
    }

    public Task<ElevationProgress?> QueryElevationAsync(Guid grantId, CancellationToken ct) =>
        Task.FromResult(ElevationProgress.TryGetValue(grantId, out var progress) ? progress : null);

    public Task WakeAsync(RuntimeInput input, EnvForge.Domain.Workspaces.WakeTrigger trigger, CancellationToken ct)
    {
        Wakes.Enqueue((input, trigger));
        return Task.CompletedTask;
    }

    public Task SleepAsync(Guid workspaceId, string actor, CancellationToken ct)
    {
        Sleeps.Enqueue((workspaceId, actor));
        return Task.CompletedTask;
    }

    public Task StartProvisioningAsync(ProvisionWorkspaceInput input, CancellationToken ct)
    {
        Provisioning.Enqueue(input);
        return Task.CompletedTask;
    }

    public Task CancelProvisioningAsync(Guid workspaceId, string actor, CancellationToken ct)
    {
        Cancels.Enqueue((workspaceId, actor));
        return Task.CompletedTask;
    }
}
