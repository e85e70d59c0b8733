using EnvForge.Domain.DevLinks;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.DevLinks;

/// <summary>
/// The DevLink aggregate as an inline snapshot: the command path reads it with <c>FetchForWriting</c>, the API lists it,
/// and the gateway's in-memory <see cref="DevLinkDirectory"/> reloads it when its stream changes. It holds the token's
/// hash and key id, never the token.
/// </summary>
public sealed partial class DevLinkProjection : SingleStreamProjection<DevLink, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public DevLinkProjection() => IncludeType<IDevLinkEvent>();

    public override DevLink? Evolve(DevLink? snapshot, Guid id, IEvent e) =>
        e.Data is IDevLinkEvent linkEvent ? DevLink.Evolve(snapshot, linkEvent) : snapshot;
}
