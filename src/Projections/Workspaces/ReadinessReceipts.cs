using System.Runtime.CompilerServices;
using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Marten.Events.Projections;

namespace EnvForge.Projections.Workspaces;

/// <summary>What was verified, on which instances, and when: the receipt support shows for "is it really up".</summary>
public sealed record ReadinessReceipt(Guid Id, Guid OrgId, IReadOnlyList<string> Checks, string? InstanceId, string? Region, DateTimeOffset VerifiedAt);

/// <summary>
/// Inline: written in the transaction that marks the workspace ready, with the placement its own stream held at that point
/// (the last placement or destruction before the ready event), so a rebuild, reading the same stream later, writes the same
/// receipt whatever the workspace did since.
/// </summary>
public sealed partial class ReadinessReceiptProjection : EventProjection
{
    // The placement an earlier event of the same batch gave the workspace, per ready event (nothing of a batch is stored yet).
    private static readonly ConditionalWeakTable<IEvent, PlacedInBatch> PlacedEarlierInBatch = [];

    // Only the events it writes for, and those that place or remove its workspace: the others skip it.
    public ReadinessReceiptProjection()
    {
        IncludeType<WorkspaceReady>();
        IncludeType<WorkspacePlaced>();
        IncludeType<WorkspaceResourcesDestroyed>();
    }

    public override Task EnrichEventsAsync(IQuerySession querySession, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var placements = new Dictionary<Guid, PlacedInBatch>();
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case WorkspacePlaced placed:
                    placements[placed.WorkspaceId] = new PlacedInBatch(placed);
                    break;
                case WorkspaceResourcesDestroyed destroyed:
                    placements[destroyed.WorkspaceId] = new PlacedInBatch(null);
                    break;
                case WorkspaceReady ready when placements.TryGetValue(ready.WorkspaceId, out var placement):
                    PlacedEarlierInBatch.AddOrUpdate(e, placement);
                    break;
            }
        }

        return Task.CompletedTask;
    }

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is not WorkspaceReady ready)
        {
            return;
        }

        var placed = PlacedEarlierInBatch.TryGetValue(e, out var inBatch) ? inBatch.Placed : await StoredPlacementAsync(operations, ready, e, cancellation);
        operations.Store(new ReadinessReceipt(ready.WorkspaceId, ready.OrgId, ready.VerifiedChecks, placed?.InstanceId, placed?.Region, ready.At));
    }

    /// <summary>The stored stream's last placement before the ready event (null when none, or its resources were destroyed since).</summary>
    private static async Task<WorkspacePlaced?> StoredPlacementAsync(IDocumentOperations operations, WorkspaceReady ready, IEvent e, CancellationToken cancellation)
    {
        // Inline (quick append) the ready event has no sequence yet and every stored event came before it; on the daemon it has one.
        var before = operations.Events.QueryAllRawEvents()
            .Where(x => x.StreamId == ready.WorkspaceId && x.EventTypesAre(typeof(WorkspacePlaced), typeof(WorkspaceResourcesDestroyed)));
        if (e.Sequence > 0)
        {
            before = before.Where(x => x.Sequence < e.Sequence);
        }

        var last = await before.OrderByDescending(x => x.Sequence).FirstOrDefaultAsync(cancellation);
        return last?.Data as WorkspacePlaced;
    }

    private sealed record PlacedInBatch(WorkspacePlaced? Placed);
}
