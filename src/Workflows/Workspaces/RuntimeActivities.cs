using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Temporalio.Activities;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// Wake and sleep: resolve declared secrets, start or stop services, and record it (names, never values). Activity
/// names are explicit and prefixed: they are part of every recorded history, and one worker hosts every capability.
/// </summary>
public sealed class RuntimeActivities(IDocumentStore store, ISecretResolver secrets, IServiceRuntime runtime, IRuntimeBudget budget, TimeProvider time)
{
    private const string Actor = "system:runtime";

    /// <summary>False when the wake is refused (the wallet cannot cover the minimum runtime); the workspace stays asleep.</summary>
    [Activity("WorkspaceRuntime.Wake")]
    public async Task<bool> WakeAsync(RuntimeInput input, WakeTrigger trigger)
    {
        var ct = ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;
        var workspace = await LoadAsync(input.WorkspaceId, ct);
        if (!await budget.CanAffordMinimumRuntimeAsync(input.OrgId, ct))
        {
            return false;
        }

        var resolved = await secrets.ResolveAsync(workspace, ct);
        await runtime.StartAsync(workspace, resolved, ct);
        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new Wake(w.Id, trigger, resolved.Names, true, Actor, time.GetUtcNow()), Actor);
        return true;
    }

    [Activity("WorkspaceRuntime.Sleep")]
    public async Task SleepAsync(RuntimeInput input, string reason)
    {
        var ct = ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;
        var workspace = await LoadAsync(input.WorkspaceId, ct);
        await runtime.StopAsync(workspace, ct);
        await WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new Sleep(w.Id, reason, Actor, time.GetUtcNow()), Actor);
    }

    private Task<Workspace> LoadAsync(Guid workspaceId, CancellationToken ct) => WorkspaceStream.LoadAsync(store, workspaceId, ct);
}
