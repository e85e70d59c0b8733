using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using EnvForge.Api.Organizations;
using EnvForge.Api.Wallet;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Wallet;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Wallet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Wallet;

/// <summary>Records each refused webhook as it is reported to the audit trail (which counts them into bursts).</summary>
public sealed class RecordingWebhookRefusals : IWebhookRefusals
{
    public ConcurrentQueue<(string Provider, string Reason)> Refusals { get; } = new();

    public void Refused(string provider, string reason) => Refusals.Enqueue((provider, reason));
}

/// <summary>
/// The real API on its own database with Stripe's wire-level stand-in (configured as <c>Stripe__ApiBase</c> would be),
/// two webhook secrets (an old and a new one, as during a rotation), and a recording stand-in for the Temporal server.
/// </summary>
public abstract class WalletHost(PostgresServer postgres) : ApiTestBase(postgres)
{
    public const string OldSecret = "whsec_old_0123456789abcdef";
    public const string NewSecret = "whsec_new_fedcba9876543210";

    protected StripeStub Stripe { get; private set; } = null!;

    protected RecordingWalletWorkflows Workflows { get; } = new();

    protected RecordingWebhookRefusals Refusals { get; } = new();

    public override async ValueTask InitializeAsync()
    {
        Stripe = await StripeStub.StartAsync();
        await base.InitializeAsync();
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<IWalletWorkflows>(Workflows));
        services.Replace(ServiceDescriptor.Singleton<IWebhookRefusals>(Refusals));
        services.Configure<StripeOptions>(o =>
        {
            var stub = Stripe.Options(OldSecret, NewSecret);
            (o.SecretKey, o.ApiBase, o.WebhookSecrets) = (stub.SecretKey, stub.ApiBase, stub.WebhookSecrets);
        });
    }

    /// <summary>An org with an Owner, an Admin, a Developer, Support and an Auditor (names prefixed), its wallet open in EUR with a payment method.</summary>
    protected async Task<Guid> OrgAsync(string name, bool open = true)
    {
        var owner = Api.ClientFor($"{name}-owner");
        var org = (await (await owner.PostJsonAsync("/orgs", new { name })).ReadAsync<OrganizationResponse>()).Id;
        foreach (var (user, role) in new[] { ("admin", "Admin"), ("dev", "Developer"), ("support", "Support"), ("auditor", "Auditor") })
        {
            await (await owner.PostJsonAsync($"/orgs/{org}/members", new { userId = $"{name}-{user}", role })).AssertStatusAsync(HttpStatusCode.Created);
        }

        if (open)
        {
            await (await owner.PostJsonAsync($"/orgs/{org}/wallet", new { currency = "EUR" })).AssertStatusAsync(HttpStatusCode.OK);
            await (await owner.PutAsJsonAsync($"/orgs/{org}/wallet/payment-method", new { customerId = "cus_Acme01", paymentMethodId = "pm_Card4242" }))
                .AssertStatusAsync(HttpStatusCode.OK);
        }

        return org;
    }

    /// <summary>A top-up requested through the API (its workflow's start recorded); returns its id.</summary>
    protected async Task<Guid> RequestTopUpAsync(Guid org, string name, long amount)
    {
        var response = await Api.ClientFor($"{name}-admin").PostJsonAsync($"/orgs/{org}/wallet/top-ups", new { amount });
        await response.AssertStatusAsync(HttpStatusCode.Accepted);
        return (await response.ReadAsync<TopUpAccepted>()).TopUpId;
    }

    /// <summary>A <c>payment_intent.*</c> event for a top-up as Stripe would send it (metadata as EnvForge set it).</summary>
    protected static string PaymentEvent(string type, Guid org, Guid topUp, long amount, string paymentIntentId = "pi_webhook1", string? eventId = null) =>
        StripeStub.Event(type, new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = paymentIntentId,
            ["object"] = "payment_intent",
            ["amount"] = amount,
            ["amount_received"] = type == "payment_intent.succeeded" ? amount : 0,
            ["currency"] = "eur",
            ["status"] = type == "payment_intent.succeeded" ? "succeeded" : "requires_payment_method",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["org_id"] = org.ToString(), ["top_up_id"] = topUp.ToString() },
            ["last_payment_error"] = type == "payment_intent.succeeded" ? null
                : new System.Text.Json.Nodes.JsonObject { ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = "insufficient_funds" },
        }, eventId);

    protected Task<HttpResponseMessage> DeliverAsync(string payload, string? secret = NewSecret, DateTimeOffset? signedAt = null, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(payload, System.Text.Encoding.UTF8, "application/json") };
        var header = signature ?? (secret is null ? null : StripeStub.Sign(payload, secret, signedAt ?? DateTimeOffset.UtcNow));
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", header);
        }

        return Api.CreateClient().SendAsync(request);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
