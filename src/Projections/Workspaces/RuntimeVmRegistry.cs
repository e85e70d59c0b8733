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

/// <summary>Inline, in the placement's own transaction: a second org's placement on a registered VM fails the whole transaction.</summary>
public sealed partial class RuntimeVmRegistryProjection : EventProjection
{
    // Only the events it writes for: the others skip it without being handed to it.
    public RuntimeVmRegistryProjection() => IncludeType<WorkspacePlaced>();

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is not WorkspacePlaced placed)
        {
            return;
        }

        var vm = await operations.LoadAsync<RuntimeVm>(placed.InstanceId, cancellation);
        if (vm is null)
        {
            // Insert, not upsert: two orgs racing to claim one VM cannot both succeed.
            operations.Insert(new RuntimeVm(placed.InstanceId, placed.OrgId, placed.Region, placed.At));
        }
        else if (vm.OrgId != placed.OrgId)
        {
            throw new VmOwnershipViolationException("A runtime VM cannot serve two organizations.");
        }
    }
}
