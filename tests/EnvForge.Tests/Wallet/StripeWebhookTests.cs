using System.Net;
using System.Text.Json.Nodes;
using EnvForge.Api.Wallet;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Wallet;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// <c>POST /webhooks/stripe</c> end to end on real PostgreSQL: deliveries signed as Stripe signs them (computed in the
/// stand-in, not by the SDK that verifies them), redelivered, forged, replayed late, altered, out of order, unknown.
/// </summary>
public sealed class StripeWebhookTests(PostgresServer postgres) : WalletHost(postgres)
{
    private async Task<StripeEventRecord?> RecordOfAsync(string stripeEventId)
    {
        await using var session = Api.Store.QuerySession();
        return await session.LoadAsync<StripeEventRecord>(stripeEventId);
    }

    private static string EventId(string payload) => (string)JsonNode.Parse(payload)!["id"]!;

    [Fact]
    public async Task The_same_success_delivered_ten_times_at_once_credits_once()
    {
        var org = await OrgAsync("acme");
        var topUp = await RequestTopUpAsync(org, "acme", 5_000);
        var payload = PaymentEvent("payment_intent.succeeded", org, topUp, 5_000);
        var signature = StripeStub.Sign(payload, NewSecret, DateTimeOffset.UtcNow);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => DeliverAsync(payload, signature: signature)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var outcomes = await Task.WhenAll(responses.Select(r => r.ReadAsync<WebhookAnswer>()));
        Assert.Single(outcomes, o => o.Outcome == "applied");
        var events = await WalletSeed.EventsAsync(Api.Store, org);
        var credit = Assert.Single(events.OfType<WalletCredited>());
        Assert.Equal(EventId(payload), credit.StripeEventId);
        Assert.Equal(5_000, (await WalletSeed.LoadAsync(Api.Store, org))!.Balance);
        Assert.Equal(StripeEventOutcome.Applied, (await RecordOfAsync(EventId(payload)))!.Outcome);
        Assert.Contains(topUp, Workflows.StripeAnswers);

        // And once more, later: still a 200 that applies nothing.
        var again = await DeliverAsync(payload);
        Assert.Equal("duplicate", (await again.ReadAsync<WebhookAnswer>()).Outcome);
        Assert.Single((await WalletSeed.EventsAsync(Api.Store, org)).OfType<WalletCredited>());
    }

    [Fact]
    public async Task A_forged_a_stale_an_altered_and_an_unsigned_delivery_are_refused_and_apply_nothing()
    {
        var org = await OrgAsync("forge");
        var topUp = await RequestTopUpAsync(org, "forge", 5_000);
        var payload = PaymentEvent("payment_intent.succeeded", org, topUp, 5_000);
        var version = await WalletSeed.VersionAsync(Api.Store, org);

        await (await DeliverAsync(payload, secret: "whsec_attacker_guess")).AssertProblemAsync(HttpStatusCode.BadRequest, "webhook.signature_invalid");
        await (await DeliverAsync(payload, signedAt: DateTimeOffset.UtcNow.AddMinutes(-30))).AssertProblemAsync(HttpStatusCode.BadRequest, "webhook.timestamp_stale");
        var signature = StripeStub.Sign(payload, NewSecret, DateTimeOffset.UtcNow);
        var altered = payload.Replace("\"amount_received\":5000", "\"amount_received\":500000", StringComparison.Ordinal);
        Assert.NotEqual(payload, altered);
        await (await DeliverAsync(altered, signature: signature)).AssertProblemAsync(HttpStatusCode.BadRequest, "webhook.signature_invalid");
        await (await DeliverAsync(payload, secret: null)).AssertProblemAsync(HttpStatusCode.BadRequest, "webhook.signature_missing");

        Assert.Equal(version, await WalletSeed.VersionAsync(Api.Store, org));
        Assert.Null(await RecordOfAsync(EventId(payload)));
        Assert.Equal(["signature_invalid", "timestamp_stale", "signature_invalid", "signature_missing"], Refusals.Refusals.Select(r => r.Reason));
        Assert.All(Refusals.Refusals, r => Assert.Equal("stripe", r.Provider));
    }

    [Fact]
    public async Task Deliveries_signed_with_the_old_or_the_new_secret_are_both_accepted_while_secrets_rotate()
    {
        var org = await OrgAsync("rotate");
        var first = await RequestTopUpAsync(org, "rotate", 1_000);
        var second = await RequestTopUpAsync(org, "rotate", 2_000);

        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, first, 1_000, "pi_r1"), secret: OldSecret)).AssertStatusAsync(HttpStatusCode.OK);
        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, second, 2_000, "pi_r2"), secret: NewSecret)).AssertStatusAsync(HttpStatusCode.OK);

        Assert.Equal(3_000, (await WalletSeed.LoadAsync(Api.Store, org))!.Balance);
    }

    [Fact]
    public async Task An_unknown_event_type_is_acknowledged_and_recorded_as_ignored()
    {
        var payload = StripeStub.Event("customer.created", new JsonObject { ["id"] = "cus_New01", ["object"] = "customer", ["email"] = null });

        var response = await DeliverAsync(payload);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("ignored", (await response.ReadAsync<WebhookAnswer>()).Outcome);
        var record = await RecordOfAsync(EventId(payload));
        Assert.Equal((StripeEventOutcome.Ignored, "customer.created"), (record!.Outcome, record.Type));
        Assert.Equal("duplicate", (await (await DeliverAsync(payload)).ReadAsync<WebhookAnswer>()).Outcome);
    }

    [Fact]
    public async Task Success_before_the_payment_was_recorded_credits_and_the_later_record_changes_nothing()
    {
        var org = await OrgAsync("order");
        var topUp = await RequestTopUpAsync(org, "order", 4_000);

        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, topUp, 4_000, "pi_early"))).AssertStatusAsync(HttpStatusCode.OK);
        // "created" after "succeeded": irrelevant, acknowledged.
        var created = StripeStub.Event("payment_intent.created", JsonNode.Parse(PaymentEvent("payment_intent.succeeded", org, topUp, 4_000, "pi_early"))!["data"]!["object"]!.DeepClone().AsObject());
        Assert.Equal("ignored", (await (await DeliverAsync(created)).ReadAsync<WebhookAnswer>()).Outcome);
        // A failure of an earlier attempt arriving last changes nothing either.
        var late = await DeliverAsync(PaymentEvent("payment_intent.payment_failed", org, topUp, 4_000, "pi_early"));
        Assert.Equal("no_effect", (await late.ReadAsync<WebhookAnswer>()).Outcome);

        var wallet = await WalletSeed.LoadAsync(Api.Store, org);
        Assert.Equal((TopUpStatus.Succeeded, 4_000L), (wallet!.TopUps[topUp].Status, wallet.Balance));
    }

    [Fact]
    public async Task A_failed_payment_is_recorded_with_Stripes_codes()
    {
        var org = await OrgAsync("declined");
        var topUp = await RequestTopUpAsync(org, "declined", 4_000);

        await (await DeliverAsync(PaymentEvent("payment_intent.payment_failed", org, topUp, 4_000, "pi_declined"))).AssertStatusAsync(HttpStatusCode.OK);

        var failed = Assert.Single((await WalletSeed.EventsAsync(Api.Store, org)).OfType<TopUpFailed>());
        Assert.Equal("card_declined: insufficient_funds", failed.Reason);
        Assert.Equal(0, (await WalletSeed.LoadAsync(Api.Store, org))!.Balance);
    }

    [Fact]
    public async Task Metadata_naming_another_orgs_top_up_applies_nothing_to_either()
    {
        var mine = await OrgAsync("mine");
        var theirs = await OrgAsync("theirs");
        var theirTopUp = await RequestTopUpAsync(theirs, "theirs", 9_000);
        var (mineBefore, theirsBefore) = (await WalletSeed.VersionAsync(Api.Store, mine), await WalletSeed.VersionAsync(Api.Store, theirs));

        var response = await DeliverAsync(PaymentEvent("payment_intent.succeeded", mine, theirTopUp, 9_000, "pi_crossed"));

        await response.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "wallet.top_up_not_found");
        Assert.Equal(mineBefore, await WalletSeed.VersionAsync(Api.Store, mine));
        Assert.Equal(theirsBefore, await WalletSeed.VersionAsync(Api.Store, theirs));
    }

    [Fact]
    public async Task A_dashboard_refund_and_a_dispute_debit_what_they_must()
    {
        var org = await OrgAsync("chargeback");
        var topUp = await RequestTopUpAsync(org, "chargeback", 10_000);
        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, topUp, 10_000, "pi_cb"))).AssertStatusAsync(HttpStatusCode.OK);

        var refunded = StripeStub.Event("charge.refunded", StripeStub.Charge("pi_cb", 10_000, 3_000));
        await (await DeliverAsync(refunded)).AssertStatusAsync(HttpStatusCode.OK);
        await (await DeliverAsync(refunded)).AssertStatusAsync(HttpStatusCode.OK);
        var disputed = StripeStub.Event("charge.dispute.created", StripeStub.Dispute("pi_cb", 2_500));
        await (await DeliverAsync(disputed)).AssertStatusAsync(HttpStatusCode.OK);

        var events = await WalletSeed.EventsAsync(Api.Store, org);
        Assert.Equal(3_000, Assert.Single(events.OfType<ChargeRefunded>()).Debited);
        Assert.Equal(2_500, Assert.Single(events.OfType<WalletDisputed>()).Debited);
        Assert.Equal(4_500, (await WalletSeed.LoadAsync(Api.Store, org))!.Balance);
    }
}
