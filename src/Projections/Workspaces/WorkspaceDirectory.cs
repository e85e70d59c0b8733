using EnvForge.Domain.Workspaces;
using Marten;

namespace EnvForge.Projections.Workspaces;

/// <summary>An org's workspaces as its members list them, and whether a name is taken.</summary>
public static class WorkspaceDirectory
{
    public static Task<IReadOnlyList<Workspace>> ListAsync(IQuerySession session, Guid orgId, CancellationToken ct) =>
        session.Query<Workspace>().Where(w => w.OrgId == orgId).OrderBy(w => w.Name).Take(500).ToListAsync(ct);

    public static Task<bool> NameTakenAsync(IQuerySession session, Guid orgId, string name, CancellationToken ct) =>
        session.Query<Workspace>().AnyAsync(
            w => w.OrgId == orgId && w.Name == name && w.Status != WorkspaceStatus.Destroyed && w.Status != WorkspaceStatus.Cancelled, ct);
}
