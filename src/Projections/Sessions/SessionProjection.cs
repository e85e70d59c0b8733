using EnvForge.Domain.Sessions;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Sessions;

/// <summary>The Session aggregate as an inline snapshot (no token, no hash of one: a generation number).</summary>
public sealed partial class SessionProjection : SingleStreamProjection<Session, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public SessionProjection() => IncludeType<ISessionEvent>();

    public override Session? Evolve(Session? snapshot, Guid id, IEvent e) =>
        e.Data is ISessionEvent sessionEvent ? Session.Evolve(snapshot, sessionEvent) : snapshot;
}
