using System.Runtime.CompilerServices;
using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EnvForge.Projections.Workspaces;

/// <summary>
/// Which org each runtime VM belongs to. A VM is registered by its first placement and never changes owner: a
/// placement of another org's workspace on it fails the whole transaction (the decider refuses it first).
/// </summary>
public sealed record RuntimeVm(string Id, Guid OrgId, string Region, DateTimeOffset FirstPlacedAt);

public sealed class VmOwnershipViolationException(string message) : InvalidOperationException(message);

/// <summary>
/// Inline, in the placement's own transaction: a second org's placement on a registered VM fails the whole transaction.
/// A VM first placed earlier in the same batch of events (a rebuild's, where nothing of the batch is stored yet) counts as
/// registered by that placement: later placements by the same org share it, another org's fail.
/// </summary>
public sealed partial class RuntimeVmRegistryProjection : EventProjection
{
    // The batch's earlier registration of a placement's VM, per event: the batch's events are the keys, so batches never mix.
    private static readonly ConditionalWeakTable<IEvent, RuntimeVm> RegisteredEarlierInBatch = [];

    // Only the events it writes for: the others skip it without being handed to it.
    public RuntimeVmRegistryProjection() => IncludeType<WorkspacePlaced>();

    public override Task EnrichEventsAsync(IQuerySession querySession, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var first = new Dictionary<string, RuntimeVm>();
        foreach (var e in events)
        {
            if (e.Data is WorkspacePlaced placed)
            {
                if (first.TryGetValue(placed.InstanceId, out var earlier))
                {
                    RegisteredEarlierInBatch.AddOrUpdate(e, earlier);
                }
                else
                {
                    first[placed.InstanceId] = Registration(placed);
                }
            }
        }

        return Task.CompletedTask;
    }

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is not WorkspacePlaced placed)
        {
            return;
        }

        var vm = RegisteredEarlierInBatch.TryGetValue(e, out var earlier) ? earlier : await operations.LoadAsync<RuntimeVm>(placed.InstanceId, cancellation);
        if (vm is null)
        {
            // Insert, not upsert: two orgs racing to claim one VM cannot both succeed.
            operations.Insert(Registration(placed));
        }
        else if (vm.OrgId != placed.OrgId)
        {
            throw new VmOwnershipViolationException("A runtime VM cannot serve two organizations.");
        }
    }

    private static RuntimeVm Registration(WorkspacePlaced placed) => new(placed.InstanceId, placed.OrgId, placed.Region, placed.At);
}
