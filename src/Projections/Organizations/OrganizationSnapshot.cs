using EnvForge.Domain.Organizations;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Organizations;

/// <summary>
/// Keeps the Organization aggregate as an inline snapshot, so the command path reads the org's state (counts and
/// policies: its size does not grow with the org) in the round trip that reads its version. The evolution itself is the domain's.
/// </summary>
public sealed partial class OrganizationProjection : SingleStreamProjection<Organization, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public OrganizationProjection() => IncludeType<IOrganizationEvent>();

    public override Organization? Evolve(Organization? snapshot, Guid id, IEvent e) =>
        e.Data is IOrganizationEvent domainEvent ? Organization.Evolve(snapshot, domainEvent) : snapshot;
}
