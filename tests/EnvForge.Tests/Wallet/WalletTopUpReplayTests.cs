using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Wallet;
using Temporalio.Exceptions;

namespace EnvForge.Tests.Wallet;

/// <summary>The top-up workflow replayed over histories built in code, one per path, and wrong ones that must fail.</summary>
public sealed class WalletTopUpReplayTests
{
    private const string Start = "Wallet.StartPayment";
    private const string Conclude = "Wallet.Conclude";
    private const string Fail = "Wallet.FailTopUp";
    private static readonly Guid Org = Guid.Parse("0199a3c4-0000-7000-8000-00000000b001");
    private static readonly Guid TopUp = Guid.Parse("0199a3c4-0000-7000-8000-00000000d001");
    private static readonly TopUpInput Input = new(Org, TopUp, WorkflowHistoryBuilder.StartTime.AddHours(1).UtcDateTime);

    private static WorkflowHistoryBuilder PaymentStarted(TopUpInput input) => new WorkflowHistoryBuilder()
        .Started<WalletTopUpWorkflow>("envforge-test", input)
        .WorkflowTask()
        .ActivityScheduled(Start, input).ActivityStarted().ActivityCompleted(new TopUpProgress(TopUpOutcome.Pending, "pi_1"))
        .WorkflowTask();

    private static async Task<ReplayOutcome> ReplayAsync(WorkflowHistoryBuilder history, TopUpInput? input = null) =>
        await Replay.RunAsync<WalletTopUpWorkflow>(history.Build(TopUpInput.WorkflowId((input ?? Input).TopUpId)));

    [Fact]
    public async Task The_webhooks_word_ends_the_wait_and_the_top_up_is_credited()
    {
        var credited = new TopUpProgress(TopUpOutcome.Credited, "pi_1");
        var history = PaymentStarted(Input);
        history.TimerStartedUntil(Input.Deadline)
            .Signaled("StripeAnswered")
            .WorkflowTask()
            .TimerCanceled()
            .ActivityScheduled(Conclude, Input).ActivityStarted().ActivityCompleted(credited)
            .WorkflowTask()
            .Completed(credited);

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.Equal(credited, outcome.Result);
    }

    [Fact]
    public async Task A_declined_card_fails_the_top_up_at_once_without_waiting()
    {
        var declined = new TopUpProgress(TopUpOutcome.Failed, "pi_1", "card_declined: insufficient_funds");
        var history = new WorkflowHistoryBuilder()
            .Started<WalletTopUpWorkflow>("envforge-test", Input)
            .WorkflowTask()
            .ActivityScheduled(Start, Input).ActivityStarted().ActivityCompleted(declined)
            .WorkflowTask()
            .Completed(declined);

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.Equal(declined, outcome.Result);
    }

    [Fact]
    public async Task Stripe_unreachable_for_good_is_recorded_as_a_failure()
    {
        var failed = new TopUpProgress(TopUpOutcome.Failed, null, "stripe_unavailable");
        var history = new WorkflowHistoryBuilder()
            .Started<WalletTopUpWorkflow>("envforge-test", Input)
            .WorkflowTask()
            .ActivityScheduled(Start, Input).ActivityStarted().ActivityFailed(new InvalidOperationException("connection refused"))
            .WorkflowTask()
            .ActivityScheduled(Fail, Input, "stripe_unavailable").ActivityStarted().ActivityCompleted(failed)
            .WorkflowTask()
            .Completed(failed);

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.Equal(failed, outcome.Result);
    }

    [Fact]
    public async Task At_the_deadline_it_asks_and_records_what_it_finds()
    {
        var expired = new TopUpProgress(TopUpOutcome.Failed, "pi_1", "no_payment_confirmation_by_deadline");
        var history = PaymentStarted(Input);
        history.TimerStartedUntil(Input.Deadline).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Conclude, Input).ActivityStarted().ActivityCompleted(expired)
            .WorkflowTask()
            .Completed(expired);

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.Equal(expired, outcome.Result);
    }

    [Fact]
    public async Task A_request_that_was_never_recorded_ends_without_charging()
    {
        var history = new WorkflowHistoryBuilder()
            .Started<WalletTopUpWorkflow>("envforge-test", Input)
            .WorkflowTask()
            .ActivityScheduled(Start, Input).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("the top-up is not on the wallet", WalletActivities.NotRecorded))
            .WorkflowTask()
            .Completed(new TopUpProgress(TopUpOutcome.NotRequested));

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.Equal(new TopUpProgress(TopUpOutcome.NotRequested), outcome.Result);
    }

    [Fact]
    public async Task An_automatic_top_up_runs_the_same_way_and_is_credited()
    {
        var auto = Input with { TopUpId = Guid.Parse("0199a3c4-0000-7000-8000-00000000d002"), Automatic = true };
        var credited = new TopUpProgress(TopUpOutcome.Credited, "pi_2");
        var history = PaymentStarted(auto);
        history.TimerStartedUntil(auto.Deadline)
            .Signaled("StripeAnswered")
            .WorkflowTask()
            .TimerCanceled()
            .ActivityScheduled(Conclude, auto).ActivityStarted().ActivityCompleted(credited)
            .WorkflowTask()
            .Completed(credited);

        var outcome = await ReplayAsync(history, auto);

        Assert.Null(outcome.Failure);
        Assert.Equal(credited, outcome.Result);
    }

    [Fact]
    public async Task A_history_that_concludes_without_waiting_for_stripe_fails_replay()
    {
        var history = PaymentStarted(Input);
        history.ActivityScheduled(Conclude, Input).ActivityStarted().ActivityCompleted(new TopUpProgress(TopUpOutcome.Credited, "pi_1"))
            .WorkflowTask();

        var outcome = await ReplayAsync(history);

        var failure = Assert.IsType<WorkflowNondeterminismException>(outcome.Failure);
        Assert.Contains("[TMPRL1100]", failure.Message, StringComparison.Ordinal);
    }
}
