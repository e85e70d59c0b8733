using EnvForge.Domain.Wallet;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnvForge.Projections.Wallet;

/// <summary>
/// The org's wallet as an inline snapshot: what every command decides on (<c>FetchForWriting</c>), what the balance answer
/// and the runtime budget read (one keyed load), written in the same transaction as the events.
/// </summary>
public sealed partial class WalletProjection : SingleStreamProjection<OrgWallet, Guid>
{
    // Only this stream's events: otherwise every append, to any stream, loads this snapshot type for its stream id.
    public WalletProjection() => IncludeType<IWalletEvent>();

    public override OrgWallet? Evolve(OrgWallet? snapshot, Guid id, IEvent e) =>
        e.Data is IWalletEvent walletEvent ? OrgWallet.Evolve(snapshot, walletEvent) : snapshot;
}
