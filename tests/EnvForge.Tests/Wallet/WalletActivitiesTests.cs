using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Wallet;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Temporalio.Testing;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// Top-up and refund activities for real: Stripe.net against Stripe's wire-level stand-in, events in real PostgreSQL.
/// Checked at the wire: the idempotency keys, amounts, currency, payment method and metadata (org, top-up).
/// </summary>
public sealed class WalletActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private DocumentStore _store = null!;
    private StripeStub _stripe = null!;
    private readonly Guid _org = Guid.CreateVersion7();
    private Guid _topUp;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(WalletActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        _stripe = await StripeStub.StartAsync();
        await WalletSeed.FundAsync(_store, _org, 10_000); // open, payment method set, one paid top-up
        _topUp = Guid.CreateVersion7();
        await DecideAsync(new RequestTopUp(_org, _topUp, 2_500, "EUR", "alice", DateTimeOffset.UtcNow));
    }

    private StripePayments Payments() => new(Options.Create(_stripe.Options()));

    private WalletActivities Activities() => new(_store, Payments(), TimeProvider.System);

    private TopUpInput Input(DateTime? deadline = null) => new(_org, _topUp, deadline ?? DateTime.UtcNow.AddHours(1));

    private Task<StreamDecision<OrgWallet>> DecideAsync(IWalletCommand command) =>
        StreamDecisions.DecideAsync(_store, WalletDecider.Decider, WalletIds.For(_org), _ => command, new WriteContext("test"));

    [Fact]
    public async Task A_top_up_charges_the_saved_payment_method_once_with_its_idempotency_key_and_metadata()
    {
        var progress = await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));

        Assert.Equal(TopUpOutcome.Pending, progress.Outcome);
        var call = Assert.Single(_stripe.RequestsTo("POST", "/v1/payment_intents"));
        Assert.Equal($"envforge-top-up-{_topUp}", call.Header("Idempotency-Key"));
        Assert.Equal($"Bearer {StripeStub.SecretKey}", call.Header("Authorization"));
        Assert.Equal("2500", call.Form["amount"]);
        Assert.Equal("eur", call.Form["currency"]);
        Assert.Equal((WalletSeed.Customer, WalletSeed.PaymentMethod), (call.Form["customer"], call.Form["payment_method"]));
        Assert.Equal(("true", "true"), (call.Form["confirm"], call.Form["off_session"]));
        Assert.Equal(_org.ToString(), call.Form["metadata[org_id]"]);
        Assert.Equal(_topUp.ToString(), call.Form["metadata[top_up_id]"]);
        Assert.Equal(WalletIds.For(_org).ToString(), call.Form["metadata[wallet_id]"]);
        var started = Assert.Single((await WalletSeed.EventsAsync(_store, _org)).OfType<TopUpPaymentStarted>(), e => e.TopUpId == _topUp);
        Assert.Equal(progress.PaymentIntentId, started.PaymentIntentId);

        // A retried activity finds the payment recorded and calls Stripe no more.
        await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));
        Assert.Single(_stripe.RequestsTo("POST", "/v1/payment_intents"));
    }

    [Fact]
    public async Task Killed_between_Stripes_answer_and_the_record_the_retry_gets_the_same_payment_and_charges_nothing_twice()
    {
        _stripe.FailNext(1); // Stripe.net retries a 500 itself, with the same key
        var wallet = await WalletSeed.LoadAsync(_store, _org);
        // The first attempt reached Stripe and died before recording anything.
        var lost = await Payments().CreatePaymentAsync(
            new PaymentRequest(_org, wallet!.Id, _topUp, 2_500, "EUR", WalletSeed.Customer, WalletSeed.PaymentMethod), CancellationToken.None);

        var progress = await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));

        Assert.Equal(lost.PaymentIntentId, progress.PaymentIntentId);
        var calls = _stripe.RequestsTo("POST", "/v1/payment_intents");
        Assert.Equal(3, calls.Count); // 500, its retry, the activity's retry: one key, one PaymentIntent
        Assert.Single(calls.Select(c => c.Header("Idempotency-Key")).Distinct());
        Assert.Equal(0, (await WalletSeed.LoadAsync(_store, _org))!.TopUps[_topUp].Credited);
    }

    [Fact]
    public async Task A_declined_card_records_the_failure_with_Stripes_codes_only()
    {
        _stripe.Decline("insufficient_funds");

        var progress = await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));

        Assert.Equal(new TopUpProgress(TopUpOutcome.Failed, progress.PaymentIntentId, "card_declined: insufficient_funds"), progress);
        var failed = Assert.Single((await WalletSeed.EventsAsync(_store, _org)).OfType<TopUpFailed>());
        Assert.DoesNotContain("declined.", failed.Reason, StringComparison.Ordinal); // Stripe's message is never recorded
    }

    [Fact]
    public async Task At_the_deadline_a_success_Stripe_reports_is_credited_without_the_webhook()
    {
        await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));

        var progress = await new ActivityEnvironment().RunAsync(() => Activities().ConcludeAsync(Input(DateTime.UtcNow.AddMinutes(-1))));

        Assert.Equal(TopUpOutcome.Credited, progress.Outcome);
        Assert.Equal(12_500, (await WalletSeed.LoadAsync(_store, _org))!.Balance);
        Assert.Single(_stripe.RequestsTo("GET", $"/v1/payment_intents/{progress.PaymentIntentId}"));
    }

    [Fact]
    public async Task At_the_deadline_a_payment_still_processing_is_recorded_failed_and_before_it_stays_pending()
    {
        _stripe.ConfirmedStatus = "processing";
        await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));

        var early = await new ActivityEnvironment().RunAsync(() => Activities().ConcludeAsync(Input()));
        var late = await new ActivityEnvironment().RunAsync(() => Activities().ConcludeAsync(Input(DateTime.UtcNow.AddMinutes(-1))));

        Assert.Equal(TopUpOutcome.Pending, early.Outcome);
        Assert.Equal((TopUpOutcome.Failed, "no_payment_confirmation_by_deadline"), (late.Outcome, late.Reason));
        Assert.Equal(10_000, (await WalletSeed.LoadAsync(_store, _org))!.Balance);
    }

    [Fact]
    public async Task A_refund_asks_Stripe_with_its_own_idempotency_key_and_is_recorded_issued()
    {
        await new ActivityEnvironment().RunAsync(() => Activities().StartPaymentAsync(Input()));
        var intent = (await WalletSeed.LoadAsync(_store, _org))!.TopUps[_topUp].PaymentIntentId!;
        await DecideAsync(new CreditTopUp(_org, _topUp, intent, 2_500, "eur", "evt_paid", "system:stripe-webhook", DateTimeOffset.UtcNow));
        var refundId = Guid.CreateVersion7();
        await DecideAsync(new RequestRefund(_org, refundId, _topUp, 1_000, "owner", DateTimeOffset.UtcNow));

        var progress = await new ActivityEnvironment().RunAsync(() => Activities().IssueRefundAsync(new RefundInput(_org, refundId, _topUp)));
        await new ActivityEnvironment().RunAsync(() => Activities().IssueRefundAsync(new RefundInput(_org, refundId, _topUp)));

        Assert.Equal(RefundStatus.Issued, progress.Status);
        var call = Assert.Single(_stripe.RequestsTo("POST", "/v1/refunds"));
        Assert.Equal($"envforge-refund-{refundId}", call.Header("Idempotency-Key"));
        Assert.Equal(("1000", intent), (call.Form["amount"], call.Form["payment_intent"]));
        Assert.Equal((_org.ToString(), _topUp.ToString()), (call.Form["metadata[org_id]"], call.Form["metadata[top_up_id]"]));
        Assert.Equal(12_500 - 1_000, (await WalletSeed.LoadAsync(_store, _org))!.Balance);
    }

    [Fact]
    public void Stripe_is_reached_where_configuration_says_and_is_the_real_one_by_default()
    {
        static StripeOptions Bind(Dictionary<string, string?> settings)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new ServiceCollection().AddWalletWorkflows(configuration);
            return services.BuildServiceProvider().GetRequiredService<IOptions<StripeOptions>>().Value;
        }

        var configured = Bind(new() { ["Stripe:ApiBase"] = "http://127.0.0.1:9", ["Stripe:SecretKey"] = "sk_test_x", ["Stripe:WebhookSecrets:0"] = "whsec_a", ["Stripe:WebhookSecrets:1"] = "whsec_b" });
        var defaults = Bind([]);

        Assert.Equal("http://127.0.0.1:9", configured.ApiBase);
        Assert.Equal(["whsec_a", "whsec_b"], configured.WebhookSecrets.OrderBy(s => s.Key).Select(s => s.Value));
        Assert.Equal("https://api.stripe.com", defaults.ApiBase);
        Assert.False(defaults.Configured);
    }

    public async ValueTask DisposeAsync()
    {
        _store?.Dispose();
        if (_stripe is not null)
        {
            await _stripe.DisposeAsync();
        }
    }
}
