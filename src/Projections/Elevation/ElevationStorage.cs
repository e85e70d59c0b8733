using EnvForge.Domain.Elevation;
using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Elevation;

public static class ElevationStorage
{
    /// <summary>The grant snapshot the command path decides on, and the elevation history (pending approvals are a query of it).</summary>
    public static StoreOptions AddElevation(this StoreOptions options)
    {
        options.Projections.Add(new RootElevationProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new ElevationRecordProjection(), ProjectionLifecycle.Inline);
        options.Schema.For<ElevationRecord>().Index(r => r.OrgId).Index(r => r.WorkspaceId).Index(r => r.Requester);
        return options;
    }
}
