using System.Collections.Concurrent;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using EnvForge.Workflows.Workspaces;

namespace EnvForge.Api.Gateway;

/// <summary>
/// Traffic keeps a workspace awake, and wakes it when it sleeps, through its runtime workflow (<see cref="IWorkspaceWorkflows"/>),
/// throttled per workspace: one heartbeat a minute restarts its idle timer, and a burst of requests to a sleeping
/// workspace sends one wake signal, not one each.
/// </summary>
public sealed class KeepAwake(IWorkspaceWorkflows workflows, Marten.IDocumentStore store, TimeProvider time, ILogger<KeepAwake> logger)
{
    /// <summary>How often a forwarded request tells the runtime workflow the workspace is in use (its idle timer restarts).</summary>
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(60);

    /// <summary>A burst of requests to a sleeping workspace sends one wake signal, not one each.</summary>
    private static readonly TimeSpan WakeEvery = TimeSpan.FromSeconds(10);

    private static readonly Refusal Waking = new(StatusCodes.Status503ServiceUnavailable, "The workspace is waking up; this page retries in a few seconds.", RetryAfter: 5);
    private static readonly Refusal WakeFailed = new(StatusCodes.Status503ServiceUnavailable, "The workspace is asleep and could not be woken; try again.", RetryAfter: 10);

    private readonly ConcurrentDictionary<Guid, long> _lastHeartbeat = new();
    private readonly ConcurrentDictionary<Guid, long> _lastWake = new();

    /// <summary>Traffic through a link is activity: at most once a minute per workspace, restart its idle timer (fire and forget).</summary>
    public void Heartbeat(Guid workspaceId)
    {
        if (!Due(_lastHeartbeat, workspaceId, HeartbeatEvery) || workflows.UnavailableReason is not null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await workflows.HeartbeatAsync(workspaceId, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                GatewayLog.HeartbeatFailed(logger, workspaceId, ex.GetType().Name);
            }
        });
    }

    /// <summary>Wakes a sleeping workspace (once per burst) and returns the 503 that tells the browser to retry.</summary>
    public async Task<Refusal> WakeAsync(Guid linkId, RuntimeBinding runtime, CancellationToken ct)
    {
        if (workflows.UnavailableReason is { } unavailable)
        {
            return new(StatusCodes.Status503ServiceUnavailable, $"The workspace is asleep and cannot be woken: {unavailable}.", RetryAfter: 30);
        }

        if (!Due(_lastWake, runtime.WorkspaceId, WakeEvery))
        {
            return Waking;
        }

        try
        {
            // The wake path only (a sleeping workspace): one read for the org's idle timeout.
            await using var query = store.QuerySession();
            var org = await query.LoadAsync<Organization>(runtime.OrgId, ct);
            var idle = TimeSpan.FromMinutes(org?.IdleTimeoutMinutes ?? Organization.DefaultIdleTimeoutMinutes);
            await workflows.WakeAsync(new RuntimeInput(runtime.WorkspaceId, runtime.OrgId, idle), WakeTrigger.DevUrl, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            GatewayLog.WakeFailed(logger, linkId, ex.GetType().Name);
            return WakeFailed;
        }

        return Waking;
    }

    /// <summary>True (and the time noted) when the last time for this key is older than <paramref name="every"/>.</summary>
    private bool Due(ConcurrentDictionary<Guid, long> last, Guid key, TimeSpan every)
    {
        var now = time.GetTimestamp();
        var previous = last.GetValueOrDefault(key, long.MinValue);
        if (previous != long.MinValue && time.GetElapsedTime(previous, now) < every)
        {
            return false;
        }

        return previous == long.MinValue ? last.TryAdd(key, now) : last.TryUpdate(key, now, previous);
    }
}
