using JasperFx.Events.Projections;
using Marten;

namespace EnvForge.Projections.Audit;

public static class AuditStorage
{
    /// <summary>The audit trail: asynchronous, in the Solo daemon (see README, "Scaling out"), off the request path.</summary>
    public static StoreOptions AddAudit(this StoreOptions options)
    {
        options.Projections.Add(new AuditTrailProjection(), ProjectionLifecycle.Async);
        options.Schema.For<AuditEntry>().Index(a => a.OrgId);
        return options;
    }
}
