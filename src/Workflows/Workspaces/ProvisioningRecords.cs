using EnvForge.Domain.Workspaces;
using Marten;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// The Workspace stream writes every provider's provisioning activities make alike (AWS: <see cref="ProvisioningActivities"/>,
/// this machine: <c>LocalProvisioningActivities</c>): start, a step completed, verified to Ready, failed, cancelled. Each is one
/// decision on the activities' command path, so a retried activity appends nothing twice.
/// </summary>
internal static class ProvisioningRecords
{
    public const string Actor = "system:provisioning";

    public static Task StartAsync(IDocumentStore store, ProvisionWorkspaceInput input, TimeProvider time) =>
        WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new StartProvisioning(w.Id, input.RequestedBy, time.GetUtcNow()), Actor);

    public static Task StepCompletedAsync(IDocumentStore store, Guid workspaceId, ProvisioningStep step, string summary, TimeProvider time) =>
        WorkspaceStream.DecideAsync(store, workspaceId, w => new CompleteStep(w.Id, step, summary, Actor, time.GetUtcNow()), Actor);

    /// <summary>The Verify step completed and the workspace Ready, at one instant.</summary>
    public static async Task<Verified> ReadyAsync(IDocumentStore store, Guid workspaceId, IReadOnlyList<string> checks, TimeProvider time)
    {
        var now = time.GetUtcNow();
        await WorkspaceStream.DecideAsync(store, workspaceId, w => new CompleteStep(w.Id, ProvisioningStep.Verify, $"{checks.Count} checks passed", Actor, now), Actor);
        await WorkspaceStream.DecideAsync(store, workspaceId, w => new MarkReady(w.Id, checks, Actor, now), Actor);
        return new Verified(checks);
    }

    public static Task FailedAsync(IDocumentStore store, ProvisionWorkspaceInput input, ProvisioningStep step, string reason, TimeProvider time) =>
        WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new FailProvisioning(w.Id, step, reason, Actor, time.GetUtcNow()), Actor);

    public static Task CancelledAsync(IDocumentStore store, ProvisionWorkspaceInput input, string actor, TimeProvider time) =>
        WorkspaceStream.DecideAsync(store, input.WorkspaceId, w => new CancelProvisioning(w.Id, actor, time.GetUtcNow()), Actor);
}
