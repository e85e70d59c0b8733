using System.Text;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Wallet;
using EnvForge.Workflows.Wallet;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Stripe;

namespace EnvForge.Api.Wallet;

/// <summary>
/// <c>POST /webhooks/stripe</c>, no bearer token: the raw body's signature is checked before anything else is read (a
/// refusal is 400 and applies nothing). A verified event is applied through the wallet's command path with its Stripe event
/// id recorded in the same transaction, so a redelivery, sequential or concurrent, is a 200 that applies nothing. Types
/// EnvForge does not act on are acknowledged and recorded as ignored. Out of order is fine: each event is decided on what
/// the wallet says now (a success before the payment's own record still credits, a late failure after a success changes nothing).
/// </summary>
internal static partial class StripeWebhookHandler
{
    public const string Actor = "system:stripe-webhook";

    public static async Task<Results<Ok<WebhookAnswer>, ProblemHttpResult>> HandleAsync(
        HttpContext http, IDocumentStore store, StripeWebhookVerifier verifier, IWebhookRefusals refusals, IWalletWorkflows workflows, TimeProvider time,
        ILogger<WebhookAnswer> logger)
    {
        var ct = http.RequestAborted;
        string payload;
        using (var reader = new StreamReader(http.Request.Body, Encoding.UTF8))
        {
            payload = await reader.ReadToEndAsync(ct);
        }

        var verified = verifier.Verify(payload, http.Request.Headers["Stripe-Signature"].ToString());
        if (verified.Event is not { } stripeEvent)
        {
            // Counted for the audit trail, which records each burst of refusals once per window (never the body or its signature).
            refusals.Refused("stripe", verified.Refusal!);
            LogRefused(logger, verified.Refusal!);
            return Problems.Problem(StatusCodes.Status400BadRequest, $"webhook.{verified.Refusal}", "Webhook refused",
                "The delivery's Stripe signature could not be verified; nothing was applied.");
        }

        await using (var session = store.QuerySession())
        {
            if (await StripeEvents.FindAsync(session, stripeEvent.Id, ct) is not null)
            {
                return TypedResults.Ok(new WebhookAnswer(true, "duplicate"));
            }
        }

        var now = time.GetUtcNow();
        var (orgId, command) = await CommandForAsync(store, stripeEvent, now, ct);
        if (command is null)
        {
            var recorded = await StripeEvents.RecordAsync(store, new StripeEventRecord(stripeEvent.Id, stripeEvent.Type, orgId, StripeEventOutcome.Ignored, null, now), ct);
            return TypedResults.Ok(new WebhookAnswer(true, recorded ? "ignored" : "duplicate"));
        }

        StreamDecision<OrgWallet> outcome;
        try
        {
            outcome = await StreamDecisions.DecideAsync(store, WalletDecider.Decider, WalletIds.For(orgId!.Value), _ => command,
                new WriteContext(Actor, http.TraceIdentifier, stripeEvent.Id), ct: ct);
        }
        catch (Exception ex) when (StripeEvents.IsDuplicate(ex))
        {
            return TypedResults.Ok(new WebhookAnswer(true, "duplicate")); // a concurrent delivery of the same event committed first
        }

        switch (outcome.Status)
        {
            case DecisionStatus.Rejected:
                // Verified, but not about this org's wallet (another org's top-up, a mismatched payment): nothing applied.
                // 422 whatever the rejection's kind: the endpoint exists, the event does not apply here.
                LogRejected(logger, stripeEvent.Type, outcome.Rejection!.Code);
                return Problems.Problem(StatusCodes.Status422UnprocessableEntity, outcome.Rejection.Code, "Not applied", outcome.Rejection.Message);
            case DecisionStatus.Conflict:
                return Problems.Problem(StatusCodes.Status503ServiceUnavailable, "concurrency_conflict", "Busy", "The wallet was busy; Stripe will deliver again.");
            case DecisionStatus.Unchanged:
                var recorded = await StripeEvents.RecordAsync(store, new StripeEventRecord(stripeEvent.Id, stripeEvent.Type, orgId, StripeEventOutcome.NoEffect, null, now), ct);
                return TypedResults.Ok(new WebhookAnswer(true, recorded ? "no_effect" : "duplicate"));
        }

        if (command is CreditTopUp or FailTopUp && workflows.UnavailableReason is null)
        {
            var topUpId = command is CreditTopUp credit ? credit.TopUpId : ((FailTopUp)command).TopUpId;
            try
            {
                await workflows.StripeAnsweredAsync(topUpId, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The record stands; the top-up's workflow finds it at its deadline.
                LogSignalFailed(logger, topUpId, ex.GetType().Name);
            }
        }

        return TypedResults.Ok(new WebhookAnswer(true, "applied"));
    }

    /// <summary>The wallet command a Stripe event asks for, and the org it is about; no command: ignored.</summary>
    private static async Task<(Guid? OrgId, IWalletCommand? Command)> CommandForAsync(IDocumentStore store, Event stripeEvent, DateTimeOffset now, CancellationToken ct)
    {
        switch (stripeEvent.Data.Object)
        {
            case PaymentIntent intent when stripeEvent.Type is EventTypes.PaymentIntentSucceeded or EventTypes.PaymentIntentPaymentFailed:
                if (!TryIds(intent.Metadata, out var orgId, out var topUpId))
                {
                    return (null, null); // not one of EnvForge's payments
                }

                return (orgId, stripeEvent.Type == EventTypes.PaymentIntentSucceeded
                    ? new CreditTopUp(orgId, topUpId, intent.Id, intent.AmountReceived, intent.Currency ?? "", stripeEvent.Id, Actor, now)
                    : new FailTopUp(orgId, topUpId, FailureCode(intent), stripeEvent.Id, Actor, now));
            case Charge charge when stripeEvent.Type == EventTypes.ChargeRefunded:
                return await TopUpOfAsync(store, charge.PaymentIntentId, ct) is { } refunded
                    ? (refunded.OrgId, new RecordChargeRefunded(refunded.OrgId, refunded.Id, charge.AmountRefunded, stripeEvent.Id, Actor, now))
                    : (null, null);
            case Dispute dispute when stripeEvent.Type == EventTypes.ChargeDisputeCreated:
                return await TopUpOfAsync(store, dispute.PaymentIntentId, ct) is { } disputed
                    ? (disputed.OrgId, new RecordDispute(disputed.OrgId, disputed.Id, dispute.Id, dispute.Amount, stripeEvent.Id, Actor, now))
                    : (null, null);
            default:
                return (null, null);
        }
    }

    private static async Task<TopUpRecord?> TopUpOfAsync(IDocumentStore store, string? paymentIntentId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(paymentIntentId))
        {
            return null;
        }

        await using var session = store.QuerySession();
        return await TopUpHistory.ByPaymentIntentAsync(session, paymentIntentId, ct);
    }

    private static bool TryIds(Dictionary<string, string>? metadata, out Guid orgId, out Guid topUpId)
    {
        topUpId = Guid.Empty;
        orgId = Guid.Empty;
        return metadata is not null && metadata.TryGetValue("org_id", out var org) && Guid.TryParse(org, out orgId)
            && metadata.TryGetValue("top_up_id", out var topUp) && Guid.TryParse(topUp, out topUpId);
    }

    private static string FailureCode(PaymentIntent intent) => intent.LastPaymentError is { } error
        ? string.Join(": ", new[] { error.Code, error.DeclineCode }.Where(c => !string.IsNullOrEmpty(c)).DefaultIfEmpty(error.Type ?? "payment_failed"))
        : "payment_failed";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Verified Stripe event {Type} not applied: {Code}")]
    private static partial void LogRejected(ILogger logger, string type, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Top-up {TopUpId} recorded, but its workflow could not be signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid topUpId, string error);
}
