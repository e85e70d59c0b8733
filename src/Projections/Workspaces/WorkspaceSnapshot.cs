using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Workspaces;

/// <summary>
/// The Workspace aggregate as an inline snapshot: the command path reads it with FetchForWriting, and the workspace
/// list and detail read it too (it holds names and SSM paths of secrets, never values).
/// </summary>
public sealed partial class WorkspaceProjection : SingleStreamProjection<Workspace, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public WorkspaceProjection() => IncludeType<IWorkspaceEvent>();

    public override Workspace? Evolve(Workspace? snapshot, Guid id, IEvent e) =>
        e.Data is IWorkspaceEvent workspaceEvent ? Workspace.Evolve(snapshot, workspaceEvent) : snapshot;
}
