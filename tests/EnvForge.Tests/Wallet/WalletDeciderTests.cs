using EnvForge.Domain.Wallet;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Wallet;

/// <summary>The wallet's rules as specifications: Given(events).When(command).Then(events) / ThenRejects(code). No I/O.</summary>
public sealed class WalletDeciderTests
{
    private static readonly Guid Org = Guid.Parse("0199a3c4-0000-7000-8000-00000000a001");
    private static readonly Guid Id = WalletIds.For(Org);
    private static readonly Guid TopUp1 = Guid.Parse("0199a3c4-0000-7000-8000-0000000000f1");
    private static readonly Guid Workspace = Guid.Parse("0199a3c4-0000-7000-8000-00000000c001");
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static DeciderSpecification<OrgWallet, IWalletEvent, IWalletCommand> Spec() => new(WalletDecider.Decide, OrgWallet.Evolve);

    private static IWalletEvent[] Funded(long amount = 10_000) =>
    [
        new WalletOpened(Id, Org, "EUR", "alice", T0),
        new PaymentMethodSet(Id, Org, "cus_A", "pm_A", "alice", T0),
        new TopUpRequested(Id, Org, TopUp1, amount, "EUR", false, "alice", T0),
        new TopUpPaymentStarted(Id, Org, TopUp1, "pi_1", "succeeded", "system:wallet", T0),
        new WalletCredited(Id, Org, TopUp1, "pi_1", amount, amount, "evt_1", "system:stripe-webhook", T0),
    ];

    private static BuyRuntime Buy(DateTimeOffset from, int minutes = 15, int services = 2, long defaultRate = 10, Guid? workspace = null) =>
        new(Org, workspace ?? Workspace, T0, from, minutes, [.. Enumerable.Range(1, services).Select(i => $"svc{i}")], defaultRate, "system:runtime-meter", from);

    [Fact]
    public void A_wallet_opens_in_one_supported_currency() =>
        Spec().When(new OpenWallet(Org, "EUR", "alice", T0)).Then(new WalletOpened(Id, Org, "EUR", "alice", T0));

    [Fact]
    public void An_unknown_currency_is_refused() => Spec().When(new OpenWallet(Org, "XYZ", "alice", T0)).ThenRejects("wallet.unknown_currency");

    [Fact]
    public void A_top_up_in_another_currency_is_refused() =>
        Spec().Given(Funded()).When(new RequestTopUp(Org, Guid.CreateVersion7(T0), 500, "USD", "alice", T0)).ThenRejects("wallet.currency_mismatch");

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(WalletDecider.MaxTopUp + 1)]
    public void Zero_negative_and_oversized_top_ups_are_refused(long amount) =>
        Spec().Given(Funded()).When(new RequestTopUp(Org, Guid.CreateVersion7(T0), amount, "EUR", "alice", T0)).ThenRejects("wallet.invalid_amount");

    [Fact]
    public void A_top_up_needs_a_payment_method() =>
        Spec().Given(new WalletOpened(Id, Org, "EUR", "alice", T0)).When(new RequestTopUp(Org, TopUp1, 500, "EUR", "alice", T0)).ThenRejects("wallet.no_payment_method");

    [Fact]
    public void A_success_credits_once_and_a_repeat_decides_nothing() =>
        Spec().Given(Funded()).When(new CreditTopUp(Org, TopUp1, "pi_1", 10_000, "eur", "evt_2", "system:stripe-webhook", T0)).ThenNothing();

    [Fact]
    public void A_success_before_the_payment_was_recorded_still_credits()
    {
        var topUp = Guid.CreateVersion7(T0);
        Spec().Given(Funded()).Given(new TopUpRequested(Id, Org, topUp, 700, "EUR", false, "alice", T0))
            .When(new CreditTopUp(Org, topUp, "pi_9", 700, "eur", "evt_9", "system:stripe-webhook", T0))
            .Then(new WalletCredited(Id, Org, topUp, "pi_9", 700, 10_700, "evt_9", "system:stripe-webhook", T0));
    }

    [Fact]
    public void A_failure_after_the_success_changes_nothing() =>
        Spec().Given(Funded()).When(new FailTopUp(Org, TopUp1, "card_declined", "evt_3", "system:stripe-webhook", T0)).ThenNothing();

    [Fact]
    public void A_payment_for_another_top_up_of_this_wallet_is_refused() =>
        Spec().Given(Funded()).When(new CreditTopUp(Org, Guid.CreateVersion7(T0), "pi_1", 10_000, "eur", "evt_4", "x", T0)).ThenRejects("wallet.top_up_not_found");

    [Fact]
    public void A_refund_never_exceeds_what_is_unspent() =>
        Spec().Given(Funded()).Given(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["a", "b"], 100, 3_000, 7_000, "m", T0))
            .When(new RequestRefund(Org, Guid.CreateVersion7(T0), TopUp1, 8_000, "owner", T0)).ThenRejects("wallet.refund_exceeds_balance");

    [Fact]
    public void A_refund_never_exceeds_what_the_top_up_credited_less_what_went_back() =>
        Spec().Given(Funded()).Given(new RefundRequested(Id, Org, Guid.CreateVersion7(T0), TopUp1, 6_000, 4_000, "owner", T0))
            .When(new RequestRefund(Org, Guid.CreateVersion7(T0.AddSeconds(1)), TopUp1, 4_500, "owner", T0)).ThenRejects("wallet.refund_exceeds_top_up");

    [Fact]
    public void A_dashboard_refund_debits_what_was_not_already_refunded_by_EnvForge()
    {
        var ours = Guid.CreateVersion7(T0);
        Spec().Given(Funded()).Given(new RefundRequested(Id, Org, ours, TopUp1, 1_000, 9_000, "owner", T0))
            .When(new RecordChargeRefunded(Org, TopUp1, 3_000, "evt_r", "system:stripe-webhook", T0))
            .Then(new ChargeRefunded(Id, Org, TopUp1, "pi_1", 2_000, 2_000, 0, 7_000, "evt_r", "system:stripe-webhook", T0));
    }

    [Fact]
    public void A_dispute_takes_what_the_balance_has_and_records_the_rest_uncovered() =>
        Spec().Given(Funded(1_000)).When(new RecordDispute(Org, TopUp1, "dp_1", 1_500, "evt_d", "system:stripe-webhook", T0))
            .Then(
                new WalletDisputed(Id, Org, TopUp1, "dp_1", 1_500, 1_000, 500, 0, "evt_d", "system:stripe-webhook", T0),
                new LowBalanceThresholdCrossed(Id, Org, 75, 0, 1_000, "system:stripe-webhook", T0),
                new LowBalanceThresholdCrossed(Id, Org, 90, 0, 1_000, "system:stripe-webhook", T0),
                new LowBalanceThresholdCrossed(Id, Org, 100, 0, 1_000, "system:stripe-webhook", T0));

    [Fact]
    public void Runtime_is_paid_ahead_for_every_service_at_the_default_rate() =>
        Spec().Given(Funded()).When(Buy(T0))
            .Then(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "system:runtime-meter", T0));

    [Fact]
    public void The_orgs_own_rate_wins_over_the_default() =>
        Spec().Given(Funded()).Given(new RuntimeRateChanged(Id, Org, 20, "owner", T0)).When(Buy(T0, services: 1))
            .Then(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1"], 20, 300, 9_700, "system:runtime-meter", T0));

    [Fact]
    public void A_block_bought_already_is_not_bought_twice() =>
        Spec().Given(Funded()).Given(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "m", T0))
            .When(Buy(T0)).ThenNothing();

    [Fact]
    public void The_last_minutes_the_balance_covers_are_granted_and_then_nothing_more()
    {
        Spec().Given(Funded(70)).When(Buy(T0))
            .Then(
                new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(3), 3, ["svc1", "svc2"], 10, 60, 10, "system:runtime-meter", T0),
                new LowBalanceThresholdCrossed(Id, Org, 75, 10, 70, "system:runtime-meter", T0));
        Spec().Given(Funded(70)).Given(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(3), 3, ["svc1", "svc2"], 10, 60, 10, "m", T0))
            .When(Buy(T0.AddMinutes(3))).ThenRejects("wallet.insufficient_balance");
    }

    [Fact]
    public void Settling_charges_started_minutes_and_returns_the_rest() =>
        Spec().Given(Funded()).Given(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "m", T0))
            .When(new SettleRuntime(Org, Workspace, T0, T0.AddMinutes(4).AddSeconds(1), "m", T0))
            .Then(new UsageSettled(Id, Org, Workspace, T0, T0.AddMinutes(4).AddSeconds(1), 5, 15, 100, 200, 9_900, "m", T0));

    [Fact]
    public void Settling_twice_returns_nothing_twice() =>
        Spec().Given(Funded()).Given(
                new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "m", T0),
                new UsageSettled(Id, Org, Workspace, T0, T0.AddMinutes(5), 5, 15, 100, 200, 9_900, "m", T0))
            .When(new SettleRuntime(Org, Workspace, T0, T0.AddMinutes(5), "m", T0)).ThenNothing();

    [Fact]
    public void Falling_under_the_threshold_starts_one_automatic_top_up_per_crossing()
    {
        var auto = new AutoTopUpChanged(Id, Org, new AutoTopUpSettings(9_800, 5_000, 2), "alice", T0);
        var autoTopUp = new TopUpRequested(Id, Org, WalletIds.AutoTopUp(Id, 1), 5_000, "EUR", true, WalletDecider.AutoTopUpActor, T0);
        Spec().Given(Funded()).Given(auto).When(Buy(T0))
            .Then(new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "system:runtime-meter", T0), autoTopUp);

        // Still under the threshold: the same crossing, no second top-up.
        Spec().Given(Funded()).Given(auto, new UsageDebited(Id, Org, Workspace, T0, T0, T0.AddMinutes(15), 15, ["svc1", "svc2"], 10, 300, 9_700, "m", T0), autoTopUp)
            .When(Buy(T0.AddMinutes(15)))
            .Then(new UsageDebited(Id, Org, Workspace, T0, T0.AddMinutes(15), T0.AddMinutes(30), 15, ["svc1", "svc2"], 10, 300, 9_400, "system:runtime-meter", T0.AddMinutes(15)));
    }

    [Fact]
    public void A_batch_decides_each_command_on_what_the_ones_before_left()
    {
        var batch = new WalletBatch(Org, [Buy(T0, workspace: Guid.CreateVersion7(T0)), Buy(T0, workspace: Guid.CreateVersion7(T0.AddSeconds(1)))], "q", T0);
        var decisions = WalletDecider.DecideEach(batch, Funded(450).Aggregate((OrgWallet?)null, OrgWallet.Evolve));

        Assert.Equal(450 - 300, Assert.IsType<UsageDebited>(decisions[0].Events[0]).BalanceAfter);
        var second = Assert.IsType<UsageDebited>(decisions[1].Events[0]);
        Assert.Equal(7, second.Minutes); // 150 left at 20 per minute
        Assert.Equal(10, second.BalanceAfter);
    }
}
