using System.Reflection;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.DevLinks;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// A dev link's expiry workflow replayed over histories built in code: a durable timer to the link's end, then the
/// "DevLink.Expire" activity; a "Revoked" signal before the timer ends it at once. The timer is started for the instant
/// the link expires, measured from the <c>Workflow.UtcNow</c> of the task that starts it.
/// </summary>
public sealed class DevLinkExpiryReplayTests
{
    private const string TaskQueue = "envforge-test";
    private const string Expire = "DevLink.Expire";
    private const string Revoked = "Revoked";

    private static readonly DevLinkExpiryInput Input = new(
        Guid.Parse("0199a3c4-0000-7000-8000-00000000d001"), WorkflowHistoryBuilder.StartTime.AddHours(24).UtcDateTime);

    private static WorkflowHistoryBuilder Waiting(DevLinkExpiryInput? input = null) => new WorkflowHistoryBuilder()
        .Started<DevLinkExpiryWorkflow>(TaskQueue, input ?? Input)
        .WorkflowTask()
        .TimerStartedUntil((input ?? Input).ExpiresAt);

    private static async Task<ReplayOutcome> ReplayAsync(WorkflowHistoryBuilder history) =>
        await Replay.RunAsync<DevLinkExpiryWorkflow>(history.Build(DevLinkExpiryInput.WorkflowId(Input.LinkId)));

    private static async Task AssertReplaysToAsync(WorkflowHistoryBuilder history, bool expected)
    {
        var outcome = await ReplayAsync(history);
        Assert.Null(outcome.Failure);
        Assert.True(outcome.Returned);
        Assert.Equal(expected, outcome.Result);
    }

    private static async Task AssertFailsReplayAsync(WorkflowHistoryBuilder history)
    {
        var outcome = await ReplayAsync(history);
        var failure = Assert.IsType<WorkflowNondeterminismException>(outcome.Failure);
        Assert.Contains("[TMPRL1100]", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Activity_signal_and_workflow_names_are_the_ones_the_histories_record()
    {
        var activities = typeof(DevLinkActivities).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => ActivityDefinition.Create(m, _ => null).Name);
        Assert.Equal([Expire], activities);

        var workflow = WorkflowDefinition.Create<DevLinkExpiryWorkflow>();
        Assert.Equal("DevLinkExpiryWorkflow", workflow.Name);
        Assert.Equal([Revoked], workflow.Signals.Keys);
        Assert.Equal($"dev-link-{Input.LinkId}", DevLinkExpiryInput.WorkflowId(Input.LinkId));
    }

    [Fact]
    public Task The_timer_fires_at_the_expiry_and_the_link_is_expired() => AssertReplaysToAsync(
        Waiting()
            .TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Expire, Input.LinkId).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask()
            .Completed(true),
        expected: true);

    [Fact]
    public Task A_link_revoked_before_the_activity_ran_is_reported_as_not_expired_here() => AssertReplaysToAsync(
        Waiting()
            .TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Expire, Input.LinkId).ActivityStarted().ActivityCompleted(false)
            .WorkflowTask()
            .Completed(false),
        expected: false);

    [Fact]
    public Task A_revoke_before_the_timer_ends_the_workflow_without_the_activity() => AssertReplaysToAsync(
        Waiting()
            .Signaled(Revoked)
            .WorkflowTask()
            .TimerCanceled()
            .Completed(false),
        expected: false);

    [Fact]
    public Task A_revoke_after_the_timer_fired_changes_nothing_the_activity_decides() => AssertReplaysToAsync(
        Waiting()
            .TimerFired()
            .WorkflowTask()
            .ActivityScheduled(Expire, Input.LinkId)
            .Signaled(Revoked)
            .WorkflowTask()
            .ActivityStarted().ActivityCompleted(false)
            .WorkflowTask()
            .Completed(false),
        expected: false);

    [Fact]
    public Task An_expiry_already_past_when_the_workflow_starts_expires_at_once_without_a_timer()
    {
        var late = Input with { ExpiresAt = WorkflowHistoryBuilder.StartTime.UtcDateTime };
        return AssertReplaysToAsync(
            new WorkflowHistoryBuilder()
                .Started<DevLinkExpiryWorkflow>(TaskQueue, late)
                .WorkflowTask()
                .ActivityScheduled(Expire, late.LinkId).ActivityStarted().ActivityCompleted(true)
                .WorkflowTask()
                .Completed(true),
            expected: true);
    }

    [Fact]
    public async Task An_expiry_that_fails_for_good_fails_the_run()
    {
        var outcome = await ReplayAsync(
            Waiting()
                .TimerFired()
                .WorkflowTask()
                .ActivityScheduled(Expire, Input.LinkId).ActivityStarted()
                .ActivityFailed(new ApplicationFailureException("The dev link does not exist.", "dev_link.not_found", nonRetryable: true))
                .WorkflowTask());

        Assert.Null(outcome.Failure);
        Assert.False(outcome.Returned);
    }

    [Fact]
    public Task A_history_that_expires_the_link_without_waiting_for_the_timer_fails_replay() => AssertFailsReplayAsync(
        new WorkflowHistoryBuilder()
            .Started<DevLinkExpiryWorkflow>(TaskQueue, Input)
            .WorkflowTask()
            .ActivityScheduled(Expire, Input.LinkId).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask()
            .Completed(true));

    [Fact]
    public Task A_history_that_expires_a_revoked_link_fails_replay() => AssertFailsReplayAsync(
        Waiting()
            .Signaled(Revoked)
            .WorkflowTask()
            .TimerCanceled()
            .ActivityScheduled(Expire, Input.LinkId).ActivityStarted().ActivityCompleted(true)
            .WorkflowTask()
            .Completed(true));
}
