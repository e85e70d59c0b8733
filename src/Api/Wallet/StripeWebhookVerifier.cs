using System.Globalization;
using EnvForge.Workflows.Wallet;
using Microsoft.Extensions.Options;
using Stripe;

namespace EnvForge.Api.Wallet;

/// <summary>A delivery that passed or failed verification; a refusal carries a stable reason code, never the body or signature.</summary>
public sealed record WebhookVerification(Event? Event, string? Refusal);

/// <summary>
/// Stripe's webhook signature, checked with Stripe.net (<c>EventUtility.ConstructEvent</c>) against every configured
/// endpoint secret (so secrets rotate), with the configured timestamp tolerance measured by EnvForge's clock.
/// </summary>
public sealed class StripeWebhookVerifier(IOptions<StripeOptions> options, TimeProvider time)
{
    public WebhookVerification Verify(string payload, string? signatureHeader)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return new(null, "signature_missing");
        }

        var secrets = options.Value.WebhookSecrets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value).Where(s => s.Length > 0).ToList();
        if (secrets.Count == 0)
        {
            return new(null, "no_secret_configured");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var tolerance = (long)options.Value.WebhookTolerance.TotalSeconds;
        foreach (var secret in secrets)
        {
            try
            {
                return new(EventUtility.ConstructEvent(payload, signatureHeader, secret, tolerance, now, throwOnApiVersionMismatch: true), null);
            }
            catch (StripeException)
            {
                // Not this secret (or not a valid delivery at all): try the next one.
            }
        }

        // Why it failed, for the refusal record: an old timestamp, a body Stripe signed but this SDK cannot read, or a bad signature.
        if (SignedAt(signatureHeader) is { } signedAt && Math.Abs(now - signedAt) > tolerance)
        {
            return new(null, "timestamp_stale");
        }

        foreach (var secret in secrets)
        {
            try
            {
                EventUtility.ValidateSignature(payload, signatureHeader, secret, tolerance, now);
                return new(null, "unsupported_event");
            }
            catch (StripeException)
            {
            }
        }

        return new(null, "signature_invalid");
    }

    private static long? SignedAt(string header)
    {
        foreach (var part in header.Split(','))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2 && kv[0].Trim() == "t" && long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                return t;
            }
        }

        return null;
    }
}
