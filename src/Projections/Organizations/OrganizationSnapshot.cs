using EnvForge.Domain.Organizations;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Organizations;

/// <summary>
/// Keeps the Organization aggregate as an inline snapshot, so a command handler reads the org's state and
/// members (for authorization and the decision) in one query. The evolution itself is the domain's.
/// </summary>
public sealed partial class OrganizationProjection : SingleStreamProjection<Organization, Guid>
{
    public override Organization? Evolve(Organization? snapshot, Guid id, IEvent e) =>
        e.Data is IOrganizationEvent domainEvent ? Organization.Evolve(snapshot, domainEvent) : snapshot;
}
