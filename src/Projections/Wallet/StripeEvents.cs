using EnvForge.Domain.Wallet;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EnvForge.Projections.Wallet;

public enum StripeEventOutcome
{
    /// <summary>It changed the wallet: the wallet event recorded with it names it.</summary>
    Applied,

    /// <summary>A type EnvForge does not act on, or about nothing of EnvForge's: acknowledged and kept.</summary>
    Ignored,

    /// <summary>About a top-up whose state already says what it says (the effect was recorded by an earlier event or by the workflow).</summary>
    NoEffect,
}

/// <summary>
/// One Stripe event, by Stripe's event id, recorded once: in the same transaction as the wallet event it caused, or alone
/// when it caused none. Inserted, never upserted: a second delivery (sequential or concurrent) cannot record it again, so it
/// cannot apply again.
/// </summary>
public sealed record StripeEventRecord(string Id, string Type, Guid? OrgId, StripeEventOutcome Outcome, string? Effect, DateTimeOffset RecordedAt);

/// <summary>Inline: the wallet event a Stripe event caused and the record of that Stripe event commit together, or neither does.</summary>
public sealed partial class StripeEventRecordProjection : EventProjection
{
    // Only the events it writes for: the others skip it without being handed to it.
    public StripeEventRecordProjection() => IncludeType<IFromStripeEvent>();

    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (e.Data is IFromStripeEvent { StripeEventId: { Length: > 0 } stripeEventId } caused)
        {
            var type = caused switch
            {
                WalletCredited => "payment_intent.succeeded",
                TopUpFailed => "payment_intent.payment_failed",
                ChargeRefunded => "charge.refunded",
                WalletDisputed => "charge.dispute.created",
                _ => "unknown",
            };
            operations.Insert(new StripeEventRecord(stripeEventId, type, caused.OrgId, StripeEventOutcome.Applied, e.EventTypeName, e.Timestamp));
        }

        return ValueTask.CompletedTask;
    }
}

public static class StripeEvents
{
    public static Task<StripeEventRecord?> FindAsync(IQuerySession session, string stripeEventId, CancellationToken ct) =>
        session.LoadAsync<StripeEventRecord>(stripeEventId, ct);

    /// <summary>Records a Stripe event that changed nothing. False when it was recorded already (a redelivery, or a concurrent one won).</summary>
    public static async Task<bool> RecordAsync(IDocumentStore store, StripeEventRecord record, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.Insert(record);
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception ex) when (IsDuplicate(ex))
        {
            return false;
        }
    }

    /// <summary>Whether a save failed because the Stripe event's record already exists.</summary>
    public static bool IsDuplicate(Exception ex) => ex is DocumentAlreadyExistsException || ex.InnerException is DocumentAlreadyExistsException;
}
