using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;

namespace EnvForge.Projections.Workspaces;

/// <summary>
/// The Workspace aggregate as an inline snapshot: the command path reads it with FetchForWriting, and the workspace
/// list and detail read it too (it holds names and SSM paths of secrets, never values).
/// </summary>
public sealed partial class WorkspaceProjection : SingleStreamProjection<Workspace, Guid>
{
    public override Workspace? Evolve(Workspace? snapshot, Guid id, IEvent e) =>
        e.Data is IWorkspaceEvent workspaceEvent ? Workspace.Evolve(snapshot, workspaceEvent) : snapshot;
}

/// <summary>What was verified, on which instances, and when: the receipt support shows for "is it really up".</summary>
public sealed record ReadinessReceipt(Guid Id, Guid OrgId, IReadOnlyList<string> Checks, string? InstanceId, string? Region, DateTimeOffset VerifiedAt);

/// <summary>
/// Which org each runtime VM belongs to. A VM is registered by its first placement and never changes owner: a
/// placement of another org's workspace on it fails the whole transaction (the decider refuses it first).
/// </summary>
public sealed record RuntimeVm(string Id, Guid OrgId, string Region, DateTimeOffset FirstPlacedAt);

public sealed class VmOwnershipViolationException(string message) : InvalidOperationException(message);

public sealed partial class WorkspaceRecordsProjection : EventProjection
{
    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        switch (e.Data)
        {
            case WorkspacePlaced placed:
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

                break;
            case WorkspaceReady ready:
                var workspace = await operations.LoadAsync<Workspace>(ready.WorkspaceId, cancellation);
                operations.Store(new ReadinessReceipt(
                    ready.WorkspaceId, ready.OrgId, ready.VerifiedChecks, workspace?.Placement?.InstanceId, workspace?.Placement?.Region, ready.At));
                break;
        }
    }
}

public static class WorkspaceDirectory
{
    public static Task<IReadOnlyList<Workspace>> ListAsync(IQuerySession session, Guid orgId, CancellationToken ct) =>
        session.Query<Workspace>().Where(w => w.OrgId == orgId).OrderBy(w => w.Name).Take(500).ToListAsync(ct);

    public static Task<bool> NameTakenAsync(IQuerySession session, Guid orgId, string name, CancellationToken ct) =>
        session.Query<Workspace>().AnyAsync(
            w => w.OrgId == orgId && w.Name == name && w.Status != WorkspaceStatus.Destroyed && w.Status != WorkspaceStatus.Cancelled, ct);
}
