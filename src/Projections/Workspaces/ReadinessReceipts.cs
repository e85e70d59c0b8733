using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EnvForge.Projections.Workspaces;

/// <summary>What was verified, on which instances, and when: the receipt support shows for "is it really up".</summary>
public sealed record ReadinessReceipt(Guid Id, Guid OrgId, IReadOnlyList<string> Checks, string? InstanceId, string? Region, DateTimeOffset VerifiedAt);

/// <summary>Inline: written in the transaction that marks the workspace ready, from its snapshot's placement.</summary>
public sealed partial class ReadinessReceiptProjection : EventProjection
{
    // Only the events it writes for: the others skip it without being handed to it.
    public ReadinessReceiptProjection() => IncludeType<WorkspaceReady>();

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is WorkspaceReady ready)
        {
            var workspace = await operations.LoadAsync<Workspace>(ready.WorkspaceId, cancellation);
            operations.Store(new ReadinessReceipt(
                ready.WorkspaceId, ready.OrgId, ready.VerifiedChecks, workspace?.Placement?.InstanceId, workspace?.Placement?.Region, ready.At));
        }
    }
}
