using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Wallet;
using EnvForge.Workflows.Workspaces;
using Temporalio.Exceptions;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// The runtime workflow since the meter (the <c>wallet-meter</c> patch): pay for a block before anything starts, buy the
/// next when it ends, sleep when the wallet cannot pay, settle the period. Histories recorded before the patch are the
/// Workspaces replay tests, unchanged; they still replay unmetered.
/// </summary>
public sealed class MeteredRuntimeReplayTests
{
    private const string Buy = "Wallet.BuyRuntime";
    private const string Settle = "Wallet.SettleRuntime";
    private const string Wake = "WorkspaceRuntime.Wake";
    private const string Sleep = "WorkspaceRuntime.Sleep";
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);
    private static readonly RuntimeInput Input = new(Guid.Parse("0199a3c4-0000-7000-8000-00000000c001"), Guid.Parse("0199a3c4-0000-7000-8000-00000000b001"), Idle);

    /// <summary>Woken by a dev URL; the first block (paid until <paramref name="paidFor"/> after the start) bought; the services started.</summary>
    private static (WorkflowHistoryBuilder History, DateTime Start) WokenAndPaid(TimeSpan paidFor)
    {
        var history = new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask();
        var start = history.WorkflowTaskTime.UtcDateTime;
        history.Patched(WorkspaceRuntimeWorkflow.MeterPatch)
            .ActivityScheduled(Buy, Input, start, start).ActivityStarted().ActivityCompleted(new RuntimeBlock(true, start + paidFor, (int)paidFor.TotalMinutes))
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.DevUrl).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask();
        return (history, start);
    }

    private static Task<ReplayOutcome> ReplayAsync(WorkflowHistoryBuilder history) =>
        Replay.RunAsync<WorkspaceRuntimeWorkflow>(history.Build(RuntimeInput.WorkflowId(Input.WorkspaceId)));

    [Fact]
    public async Task Blocks_are_bought_while_awake_and_a_wallet_that_cannot_pay_sleeps_the_workspace()
    {
        var (history, start) = WokenAndPaid(TimeSpan.FromMinutes(15));
        var firstEnd = start.AddMinutes(15);
        history.TimerStartedUntil(firstEnd).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Buy, Input, start, firstEnd).ActivityStarted().ActivityCompleted(new RuntimeBlock(true, firstEnd.AddMinutes(4), 4))
            .WorkflowTask()
            .TimerStartedUntil(firstEnd.AddMinutes(4)).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Buy, Input, start, firstEnd.AddMinutes(4)).ActivityStarted().ActivityCompleted(new RuntimeBlock(false, firstEnd.AddMinutes(4), 0))
            .WorkflowTask()
            .ActivityScheduled(Sleep, Input, WorkspaceRuntimeWorkflow.BalanceExhausted).ActivityStarted().ActivityCompleted()
            .WorkflowTask();
        var end = history.WorkflowTaskTime.UtcDateTime;
        history.ActivityScheduled(Settle, Input, start, end).ActivityStarted().ActivityCompleted()
            .WorkflowTask();

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
    }

    [Fact]
    public async Task The_idle_timeout_before_the_block_ends_sleeps_and_settles()
    {
        var (history, start) = WokenAndPaid(TimeSpan.FromMinutes(60));
        history.TimerStarted(Idle).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Sleep, Input, "idle").ActivityStarted().ActivityCompleted()
            .WorkflowTask();
        var end = history.WorkflowTaskTime.UtcDateTime;
        history.ActivityScheduled(Settle, Input, start, end).ActivityStarted().ActivityCompleted()
            .WorkflowTask();

        Assert.Null((await ReplayAsync(history)).Failure);
    }

    [Fact]
    public async Task A_wallet_that_cannot_pay_the_first_block_wakes_nothing_and_waits_for_the_next_trigger()
    {
        var history = new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.Api)
            .WorkflowTask();
        var start = history.WorkflowTaskTime.UtcDateTime;
        history.Patched(WorkspaceRuntimeWorkflow.MeterPatch)
            .ActivityScheduled(Buy, Input, start, start).ActivityStarted().ActivityCompleted(new RuntimeBlock(false, start, 0))
            .WorkflowTask()
            .Signaled("Wake", WakeTrigger.Api)
            .WorkflowTask();
        var again = history.WorkflowTaskTime.UtcDateTime;
        history.ActivityScheduled(Buy, Input, again, again).ActivityStarted().ActivityCompleted(new RuntimeBlock(true, again.AddMinutes(15), 15))
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.Api);

        Assert.Null((await ReplayAsync(history)).Failure);
    }

    [Fact]
    public async Task A_failed_wake_returns_the_paid_block_before_the_run_fails()
    {
        var history = new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask();
        var start = history.WorkflowTaskTime.UtcDateTime;
        history.Patched(WorkspaceRuntimeWorkflow.MeterPatch)
            .ActivityScheduled(Buy, Input, start, start).ActivityStarted().ActivityCompleted(new RuntimeBlock(true, start.AddMinutes(15), 15))
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.DevUrl).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("SSM parameters not found: /envforge/x", "secret_not_found", nonRetryable: true))
            .WorkflowTask()
            .ActivityScheduled(Settle, Input, start, start).ActivityStarted().ActivityCompleted()
            .WorkflowTask();

        var outcome = await ReplayAsync(history);

        Assert.Null(outcome.Failure);
        Assert.False(outcome.Returned);
    }

    [Fact]
    public async Task A_metered_history_that_starts_the_services_before_paying_fails_replay()
    {
        var history = new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask()
            .Patched(WorkspaceRuntimeWorkflow.MeterPatch)
            .ActivityScheduled(Wake, Input, WakeTrigger.DevUrl).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask();

        var failure = Assert.IsType<WorkflowNondeterminismException>((await ReplayAsync(history)).Failure);
        Assert.Contains("[TMPRL1100]", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metered_history_that_sleeps_without_settling_the_period_fails_replay()
    {
        var (history, _) = WokenAndPaid(TimeSpan.FromMinutes(60));
        history.TimerStarted(Idle).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Sleep, Input, "idle").ActivityStarted().ActivityCompleted()
            .WorkflowTask()
            .TimerStarted(Idle);

        var failure = Assert.IsType<WorkflowNondeterminismException>((await ReplayAsync(history)).Failure);
        Assert.Contains("[TMPRL1100]", failure.Message, StringComparison.Ordinal);
    }
}
