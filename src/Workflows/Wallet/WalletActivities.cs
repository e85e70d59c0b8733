using EnvForge.Domain.Wallet;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// The I/O of top-ups and refunds: Stripe calls with idempotency keys from EnvForge's ids (a retried activity never charges
/// or refunds twice), and what Stripe answered recorded through the activities' command path (a step already on the
/// stream appends nothing). Failures carry Stripe's codes only. Activity names are part of every recorded history.
/// </summary>
public sealed class WalletActivities(IDocumentStore store, IStripePayments stripe, TimeProvider time)
{
    public const string Actor = "system:wallet";

    /// <summary>The top-up or refund is not on the wallet (yet): its request may still be committing, so this is retried a while.</summary>
    public const string NotRecorded = "wallet.not_recorded";

    [Activity("Wallet.StartPayment")]
    public async Task<TopUpProgress> StartPaymentAsync(TopUpInput input)
    {
        var wallet = await LoadAsync(input.OrgId);
        if (wallet?.TopUps.GetValueOrDefault(input.TopUpId) is not { } topUp)
        {
            throw new ApplicationFailureException("the top-up is not on the wallet", NotRecorded);
        }

        if (topUp.Status != TopUpStatus.Requested)
        {
            return Progress(topUp); // a retry after it was recorded, or Stripe's webhook answered first
        }

        if (wallet.PaymentMethod is not { } method)
        {
            return await FailTopUpAsync(input, "no_payment_method");
        }

        if (stripe.UnavailableReason is not null)
        {
            throw new ApplicationFailureException("Stripe is not configured", "stripe_not_configured", nonRetryable: true);
        }

        PaymentState payment;
        try
        {
            payment = await stripe.CreatePaymentAsync(
                new PaymentRequest(input.OrgId, wallet.Id, topUp.Id, topUp.Amount, wallet.Currency, method.CustomerId, method.PaymentMethodId), Ct);
        }
        catch (PaymentRefusedException refused)
        {
            if (refused.Payment is { } declined)
            {
                await DecideAsync(input.OrgId, new StartTopUpPayment(input.OrgId, topUp.Id, declined.PaymentIntentId, declined.Status, Actor, time.GetUtcNow()));
            }

            return await FailTopUpAsync(input, refused.Code);
        }

        var after = await DecideAsync(input.OrgId, new StartTopUpPayment(input.OrgId, topUp.Id, payment.PaymentIntentId, payment.Status, Actor, time.GetUtcNow()));
        if (payment.Status is "canceled" or "requires_payment_method")
        {
            return await FailTopUpAsync(input, payment.FailureCode ?? payment.Status);
        }

        return Progress(after!.TopUps[topUp.Id]);
    }

    /// <summary>
    /// What the top-up came to. Recorded already (the webhook's credit or failure): that. Otherwise Stripe is asked: a
    /// success is credited, a failure recorded, and a payment still unconfirmed at the deadline recorded failed.
    /// </summary>
    [Activity("Wallet.Conclude")]
    public async Task<TopUpProgress> ConcludeAsync(TopUpInput input)
    {
        var wallet = await LoadAsync(input.OrgId);
        if (wallet?.TopUps.GetValueOrDefault(input.TopUpId) is not { } topUp)
        {
            return new TopUpProgress(TopUpOutcome.NotRequested);
        }

        if (topUp.Status is TopUpStatus.Succeeded or TopUpStatus.Failed || topUp.PaymentIntentId is not { } paymentIntentId)
        {
            return topUp.PaymentIntentId is null && topUp.Status is TopUpStatus.Requested or TopUpStatus.PaymentStarted
                ? await FailTopUpAsync(input, "no_payment_started")
                : Progress(topUp);
        }

        var payment = await stripe.GetPaymentAsync(paymentIntentId, Ct);
        var now = time.GetUtcNow();
        IWalletCommand? command = payment.Status switch
        {
            "succeeded" => new CreditTopUp(input.OrgId, topUp.Id, paymentIntentId, payment.AmountReceived, payment.Currency, null, Actor, now),
            "canceled" or "requires_payment_method" => new FailTopUp(input.OrgId, topUp.Id, payment.FailureCode ?? payment.Status, null, Actor, now),
            _ when now.UtcDateTime >= input.Deadline => new FailTopUp(input.OrgId, topUp.Id, "no_payment_confirmation_by_deadline", null, Actor, now),
            _ => null,
        };
        if (command is null)
        {
            return Progress(topUp);
        }

        var after = await DecideAsync(input.OrgId, command);
        return Progress(after!.TopUps[topUp.Id]);
    }

    [Activity("Wallet.FailTopUp")]
    public async Task<TopUpProgress> FailTopUpAsync(TopUpInput input, string reason)
    {
        var after = await DecideAsync(input.OrgId, new FailTopUp(input.OrgId, input.TopUpId, reason, null, Actor, time.GetUtcNow()));
        return after?.TopUps.GetValueOrDefault(input.TopUpId) is { } topUp ? Progress(topUp) : new TopUpProgress(TopUpOutcome.NotRequested);
    }

    /// <summary>Asks Stripe for the refund (the refund's own idempotency key) and records it issued; a refusal records it failed.</summary>
    [Activity("Wallet.IssueRefund")]
    public async Task<RefundProgress> IssueRefundAsync(RefundInput input)
    {
        var wallet = await LoadAsync(input.OrgId);
        var topUp = wallet?.TopUps.GetValueOrDefault(input.TopUpId);
        if (topUp?.Refunds.FirstOrDefault(r => r.Id == input.RefundId) is not { } refund)
        {
            throw new ApplicationFailureException("the refund is not on the wallet", NotRecorded);
        }

        if (refund.Status != RefundStatus.Requested)
        {
            return new RefundProgress(refund.Status);
        }

        if (topUp.PaymentIntentId is not { } paymentIntentId)
        {
            return await FailRefundAsync(input, "no_payment");
        }

        if (stripe.UnavailableReason is not null)
        {
            throw new ApplicationFailureException("Stripe is not configured", "stripe_not_configured", nonRetryable: true);
        }

        try
        {
            var issued = await stripe.RefundAsync(input.OrgId, topUp.Id, refund.Id, paymentIntentId, refund.Amount, Ct);
            await DecideAsync(input.OrgId, new RecordRefundIssued(input.OrgId, refund.Id, issued.RefundId, Actor, time.GetUtcNow()));
            return new RefundProgress(RefundStatus.Issued);
        }
        catch (PaymentRefusedException refused)
        {
            return await FailRefundAsync(input, refused.Code);
        }
    }

    [Activity("Wallet.FailRefund")]
    public async Task<RefundProgress> FailRefundAsync(RefundInput input, string reason)
    {
        await DecideAsync(input.OrgId, new RecordRefundFailed(input.OrgId, input.RefundId, reason, Actor, time.GetUtcNow()));
        return new RefundProgress(RefundStatus.Failed, reason);
    }

    private static TopUpProgress Progress(TopUp topUp) => topUp.Status switch
    {
        TopUpStatus.Succeeded => new TopUpProgress(TopUpOutcome.Credited, topUp.PaymentIntentId),
        TopUpStatus.Failed => new TopUpProgress(TopUpOutcome.Failed, topUp.PaymentIntentId, topUp.FailureReason),
        _ => new TopUpProgress(TopUpOutcome.Pending, topUp.PaymentIntentId),
    };

    private async Task<OrgWallet?> DecideAsync(Guid orgId, IWalletCommand command) =>
        (await ActivityStreams.DecideAsync(store, WalletDecider.Decider, WalletIds.For(orgId), _ => command, Actor)).State;

    private async Task<OrgWallet?> LoadAsync(Guid orgId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<OrgWallet>(WalletIds.For(orgId), Ct);
    }

    private static CancellationToken Ct => ActivityStreams.CancellationToken;
}
