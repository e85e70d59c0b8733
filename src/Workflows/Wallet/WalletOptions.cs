namespace EnvForge.Workflows.Wallet;

/// <summary>Bound from "Stripe". Keys come from configuration only (environment, a secret store), never the database or a log line.</summary>
public sealed class StripeOptions
{
    public const string Section = "Stripe";

    public const string RealApiBase = "https://api.stripe.com";

    /// <summary>The secret API key (<c>Stripe__SecretKey</c>). Without it, top-ups and refunds answer 503 and change nothing.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Where Stripe's API is: the real one unless configured (a wire-level stand-in in tests: <c>Stripe__ApiBase</c>).</summary>
    public string ApiBase { get; set; } = RealApiBase;

    /// <summary>
    /// Every webhook endpoint secret that may sign a delivery (<c>Stripe__WebhookSecrets__0</c>, <c>__1</c>, ...): add the
    /// new one, then remove the old one once Stripe signs with the new, so secrets rotate without a refused delivery.
    /// </summary>
    public Dictionary<string, string> WebhookSecrets { get; set; } = [];

    /// <summary>How old a delivery's signed timestamp may be (replays of an old, validly signed body are refused).</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Stripe.net's own retries of a failed request (with the same idempotency key).</summary>
    public int MaxNetworkRetries { get; set; } = 2;

    public bool Configured => !string.IsNullOrWhiteSpace(SecretKey);
}

/// <summary>Bound from "Wallet": prices and the runtime meter's terms.</summary>
public sealed class WalletOptions
{
    public const string Section = "Wallet";

    /// <summary>Minor units per service-minute for an org whose Owner has not set its own rate.</summary>
    public long DefaultRatePerServiceMinute { get; set; } = 1;

    /// <summary>Provisioning and wake need a balance that pays this many minutes of one service (402 otherwise).</summary>
    public int MinimumRuntimeMinutes { get; set; } = 15;

    /// <summary>How far ahead the runtime workflow pays for an awake workspace (it buys the next block when one ends).</summary>
    public int MeterBlockMinutes { get; set; } = 15;

    /// <summary>How long a top-up waits for Stripe's word before asking Stripe itself and, still unpaid, recording it failed.</summary>
    public TimeSpan PaymentDeadline { get; set; } = TimeSpan.FromHours(1);
}
