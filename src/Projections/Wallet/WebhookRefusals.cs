namespace EnvForge.Projections.Wallet;

/// <summary>A webhook delivery refused before anything was read from it: what was wrong, never the body or its signature.</summary>
/// <param name="Reason">A stable code: <c>signature_missing</c>, <c>signature_invalid</c>, <c>timestamp_stale</c>, <c>api_version_mismatch</c>, <c>malformed</c>.</param>
/// <param name="RemoteAddress">Who sent it, as the connection saw it.</param>
public sealed record WebhookRefusal(string Endpoint, string Reason, string? RemoteAddress, DateTimeOffset At);

/// <summary>
/// AUDIT HOOK: where a refused webhook (a forged or stale Stripe signature, an altered body) is recorded as a refusal. The
/// webhook calls <see cref="RecordAsync"/> once per refused delivery; the default records nothing. The audit trail
/// replaces this registration (for example with an entry keyed by its stable action code) without touching the webhook.
/// </summary>
public interface IWebhookRefusals
{
    Task RecordAsync(WebhookRefusal refusal, CancellationToken ct);
}

/// <summary>The default until the audit trail records refusals: nothing.</summary>
public sealed class NoWebhookRefusals : IWebhookRefusals
{
    public Task RecordAsync(WebhookRefusal refusal, CancellationToken ct) => Task.CompletedTask;
}
