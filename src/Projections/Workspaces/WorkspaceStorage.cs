using EnvForge.Domain.Workspaces;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Workspaces;

public static class WorkspaceStorage
{
    /// <summary>The workspace snapshot, readiness receipts and the runtime VM registry (inline: the placement invariant holds in the placement's transaction).</summary>
    public static StoreOptions AddWorkspaces(this StoreOptions options)
    {
        options.Projections.Add(new WorkspaceProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new RuntimeVmRegistryProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new ReadinessReceiptProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<Workspace>().Index(w => w.OrgId);
        return options;
    }
}
