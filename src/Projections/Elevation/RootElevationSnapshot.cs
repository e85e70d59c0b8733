using EnvForge.Domain.Elevation;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Elevation;

/// <summary>The RootElevation aggregate as an inline snapshot: what <c>FetchForWriting</c> reads on every decision.</summary>
public sealed partial class RootElevationProjection : SingleStreamProjection<RootElevation, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public RootElevationProjection() => IncludeType<IElevationEvent>();

    public override RootElevation? Evolve(RootElevation? snapshot, Guid id, IEvent e) =>
        e.Data is IElevationEvent elevationEvent ? RootElevation.Evolve(snapshot, elevationEvent) : snapshot;
}
