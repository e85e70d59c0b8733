using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Workspaces;
using Temporalio.Exceptions;

namespace EnvForge.Tests.Workspaces;

/// <summary>
/// The runtime workflow (wake on a trigger, stay awake while there is activity, sleep after the idle timeout or on
/// request) replayed over histories built in code. Histories of a running workflow replay as far as they go.
/// </summary>
public sealed class WorkspaceRuntimeReplayTests
{
    private const string Wake = "WorkspaceRuntime.Wake";
    private const string Sleep = "WorkspaceRuntime.Sleep";
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);
    private static readonly RuntimeInput Input = new(Guid.Parse("0199a3c4-0000-7000-8000-00000000c001"), Guid.Parse("0199a3c4-0000-7000-8000-00000000b001"), Idle);

    private static WorkflowHistoryBuilder WokenBy(WakeTrigger trigger) => new WorkflowHistoryBuilder()
        .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
        .Signaled("Wake", trigger)
        .WorkflowTask()
        .ActivityScheduled(Wake, Input, trigger).ActivityStarted().ActivityCompleted(true)
        .WorkflowTask();

    private static async Task AssertReplaysAsync(WorkflowHistoryBuilder history)
    {
        var outcome = await Replay.RunAsync<WorkspaceRuntimeWorkflow>(history.Build(RuntimeInput.WorkflowId(Input.WorkspaceId)));
        Assert.Null(outcome.Failure);
    }

    private static async Task AssertFailsReplayAsync(WorkflowHistoryBuilder history)
    {
        var outcome = await Replay.RunAsync<WorkspaceRuntimeWorkflow>(history.Build(RuntimeInput.WorkflowId(Input.WorkspaceId)));
        var failure = Assert.IsType<WorkflowNondeterminismException>(outcome.Failure);
        Assert.Contains("[TMPRL1100]", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task A_wake_then_no_activity_for_the_idle_timeout_sleeps() => AssertReplaysAsync(
        WokenBy(WakeTrigger.DevUrl)
            .TimerStarted(Idle).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Sleep, Input, "idle").ActivityStarted().ActivityCompleted()
            .WorkflowTask());

    [Fact]
    public Task Activity_restarts_the_idle_timer() => AssertReplaysAsync(
        WokenBy(WakeTrigger.Test)
            .TimerStarted(Idle)
            .Signaled("Heartbeat")
            .WorkflowTask()
            .TimerCanceled().TimerStarted(Idle).TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Sleep, Input, "idle").ActivityStarted().ActivityCompleted()
            .WorkflowTask());

    [Fact]
    public Task A_sleep_request_sleeps_at_once_and_says_who() => AssertReplaysAsync(
        WokenBy(WakeTrigger.ServiceCommand)
            .TimerStarted(Idle)
            .Signaled("Sleep", "bob")
            .WorkflowTask()
            .TimerCanceled()
            .ActivityScheduled(Sleep, Input, "requested by bob").ActivityStarted().ActivityCompleted()
            .WorkflowTask());

    [Fact]
    public Task A_refused_wake_stays_asleep_and_waits_for_the_next_trigger() => AssertReplaysAsync(
        new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.AgentJob)
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.AgentJob).ActivityStarted().ActivityCompleted(false)
            .WorkflowTask()
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.DevUrl).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask()
            .TimerStarted(Idle));

    [Fact]
    public async Task A_failed_wake_after_its_retries_fails_the_run_rather_than_pretending_it_is_awake()
    {
        // The next wake (signal-with-start) begins a fresh run; no timer, no sleep is issued for a wake that never happened.
        var history = new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask()
            .ActivityScheduled(Wake, Input, WakeTrigger.DevUrl).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("SSM parameters not found: /envforge/x", "secret_not_found", nonRetryable: true))
            .WorkflowTask();

        var outcome = await Replay.RunAsync<WorkspaceRuntimeWorkflow>(history.Build(RuntimeInput.WorkflowId(Input.WorkspaceId)));

        Assert.Null(outcome.Failure);
        Assert.False(outcome.Returned);
    }

    [Fact]
    public Task A_history_that_sleeps_without_waiting_for_the_idle_timeout_fails_replay() => AssertFailsReplayAsync(
        WokenBy(WakeTrigger.DevUrl)
            .ActivityScheduled(Sleep, Input, "idle").ActivityStarted().ActivityCompleted()
            .WorkflowTask());

    [Fact]
    public Task A_history_that_never_wakes_the_services_fails_replay() => AssertFailsReplayAsync(
        new WorkflowHistoryBuilder()
            .Started<WorkspaceRuntimeWorkflow>("envforge-test", Input)
            .Signaled("Wake", WakeTrigger.DevUrl)
            .WorkflowTask()
            .TimerStarted(Idle));
}
