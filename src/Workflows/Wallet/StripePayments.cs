using Microsoft.Extensions.Options;
using Stripe;

namespace EnvForge.Workflows.Wallet;

/// <summary>What EnvForge asks Stripe to charge: ids and the amount, never card details.</summary>
public sealed record PaymentRequest(Guid OrgId, Guid WalletId, Guid TopUpId, long Amount, string Currency, string CustomerId, string PaymentMethodId);

/// <summary>Stripe's answer about a PaymentIntent: its id and status, what it received, and the error code of a failed attempt.</summary>
public sealed record PaymentState(string PaymentIntentId, string Status, long AmountReceived, string Currency, string? FailureCode);

public sealed record RefundState(string RefundId, string Status);

/// <summary>Stripe refused a request for good (a declined card, an invalid request): its codes only, safe to record.</summary>
public sealed class PaymentRefusedException(string code, PaymentState? payment) : Exception($"Stripe refused: {code}")
{
    public string Code { get; } = code;

    /// <summary>The PaymentIntent a declined confirmation left behind, when Stripe named it.</summary>
    public PaymentState? Payment { get; } = payment;
}

/// <summary>The Stripe calls the wallet makes. Every create carries an idempotency key derived from EnvForge's own id.</summary>
public interface IStripePayments
{
    /// <summary>Null when Stripe can be called; otherwise why not (no secret key configured).</summary>
    string? UnavailableReason { get; }

    /// <summary>Creates and confirms (off session, saved payment method) the top-up's PaymentIntent; a retry returns the same one.</summary>
    Task<PaymentState> CreatePaymentAsync(PaymentRequest request, CancellationToken ct);

    Task<PaymentState> GetPaymentAsync(string paymentIntentId, CancellationToken ct);

    Task<RefundState> RefundAsync(Guid orgId, Guid topUpId, Guid refundId, string paymentIntentId, long amount, CancellationToken ct);

    public static string TopUpKey(Guid topUpId) => $"envforge-top-up-{topUpId}";

    public static string RefundKey(Guid refundId) => $"envforge-refund-{refundId}";
}

/// <summary>
/// Stripe.net against <see cref="StripeOptions.ApiBase"/> (the real API unless configured). A card decline or an invalid
/// request becomes <see cref="PaymentRefusedException"/> with Stripe's codes (messages can quote details: never recorded);
/// throttling, 5xx and network errors stay exceptions for the activity to retry, with the same idempotency key.
/// </summary>
public sealed class StripePayments(IOptions<StripeOptions> options) : IStripePayments
{
    private readonly StripeOptions _options = options.Value;

    public string? UnavailableReason => _options.Configured ? null : "no Stripe secret key is configured (set Stripe__SecretKey)";

    public async Task<PaymentState> CreatePaymentAsync(PaymentRequest request, CancellationToken ct)
    {
        var create = new PaymentIntentCreateOptions
        {
            Amount = request.Amount,
            Currency = request.Currency.ToLowerInvariant(),
            Customer = request.CustomerId,
            PaymentMethod = request.PaymentMethodId,
            Confirm = true,
            OffSession = true,
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            Description = "EnvForge wallet top-up",
            Metadata = new() { ["org_id"] = request.OrgId.ToString(), ["wallet_id"] = request.WalletId.ToString(), ["top_up_id"] = request.TopUpId.ToString() },
        };
        var intent = await CallAsync(() => new PaymentIntentService(Client()).CreateAsync(create, Key(IStripePayments.TopUpKey(request.TopUpId)), ct));
        return State(intent);
    }

    public async Task<PaymentState> GetPaymentAsync(string paymentIntentId, CancellationToken ct) =>
        State(await CallAsync(() => new PaymentIntentService(Client()).GetAsync(paymentIntentId, null, null, ct)));

    public async Task<RefundState> RefundAsync(Guid orgId, Guid topUpId, Guid refundId, string paymentIntentId, long amount, CancellationToken ct)
    {
        var create = new RefundCreateOptions
        {
            PaymentIntent = paymentIntentId,
            Amount = amount,
            Reason = "requested_by_customer",
            Metadata = new() { ["org_id"] = orgId.ToString(), ["top_up_id"] = topUpId.ToString(), ["refund_id"] = refundId.ToString() },
        };
        var refund = await CallAsync(() => new RefundService(Client()).CreateAsync(create, Key(IStripePayments.RefundKey(refundId)), ct));
        return new RefundState(refund.Id, refund.Status);
    }

    private static RequestOptions Key(string idempotencyKey) => new() { IdempotencyKey = idempotencyKey };

    private static PaymentState State(PaymentIntent intent) => new(
        intent.Id, intent.Status, intent.AmountReceived, intent.Currency, intent.LastPaymentError is { } error ? Code(error) : null);

    private static string Code(StripeError error) =>
        string.Join(": ", new[] { error.Code, error.DeclineCode }.Where(c => !string.IsNullOrEmpty(c)).DefaultIfEmpty(error.Type ?? "payment_failed"));

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException ex) when ((int)ex.HttpStatusCode is >= 400 and < 500 and not 409 and not 429)
        {
            var error = ex.StripeError;
            throw new PaymentRefusedException(error is null ? $"http_{(int)ex.HttpStatusCode}" : Code(error), error?.PaymentIntent is { Id: not null } pi ? State(pi) : null);
        }
    }

    private StripeClient Client()
    {
        if (!_options.Configured)
        {
            throw new InvalidOperationException(UnavailableReason);
        }

        return new StripeClient(new StripeClientOptions
        {
            ApiKey = _options.SecretKey,
            ApiBase = _options.ApiBase,
            HttpClient = new SystemNetHttpClient(SharedHttp, _options.MaxNetworkRetries),
        });
    }

    private static readonly HttpClient SharedHttp = new() { Timeout = TimeSpan.FromSeconds(80) };
}
