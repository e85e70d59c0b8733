using System.Reflection;
using EnvForge.Domain.Elevation;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Elevation;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// The root elevation workflow replayed over histories built in code, one per path a grant can take: the real workflow
/// code must issue exactly each history's commands (timers included), else "[TMPRL1100] Nondeterminism error". The
/// replayer does not compare the result payload, so the value the workflow returns is captured and asserted.
/// Timers are started for the instant the workflow waits until (the decision deadline, the window's end), measured from
/// the <c>Workflow.UtcNow</c> of the task that started them, as the workflow computes them.
/// </summary>
public sealed class RootElevationReplayTests
{
    private const string TaskQueue = "envforge-test";

    private static readonly DateTime Deadline = WorkflowHistoryBuilder.StartTime.AddHours(1).UtcDateTime;

    /// <summary>The approved window's end; after the deadline, so that a grant activated late (a lost signal) still holds.</summary>
    private static readonly DateTime ExpiresAt = WorkflowHistoryBuilder.StartTime.AddHours(2).UtcDateTime;

    private static readonly ElevationInput Input = new(
        Guid.Parse("0199a3c4-0000-7000-8000-00000000e001"), Guid.Parse("0199a3c4-0000-7000-8000-00000000b001"),
        Guid.Parse("0199a3c4-0000-7000-8000-00000000c001"), Deadline);

    private static readonly GrantState Active = new(ElevationStatus.Active, ExpiresAt);
    private static readonly GrantState ClosedOut = new(ElevationStatus.ClosedOut);

    [Fact]
    public void Activity_signal_and_query_names_are_the_ones_the_histories_record()
    {
        var activityNames = typeof(ElevationActivities)
            .GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => ActivityDefinition.Create(m, _ => null).Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { ElevationStep.AbandonActivation, ElevationStep.Activate, ElevationStep.CloseOut, ElevationStep.EndForDisabledPolicy, ElevationStep.ExpirePending }.Order(StringComparer.Ordinal),
            activityNames);

        var workflow = WorkflowDefinition.Create<RootElevationWorkflow>();
        Assert.Equal("RootElevationWorkflow", workflow.Name);
        Assert.Equal(
            new[] { ElevationStep.Approve, ElevationStep.Deny, ElevationStep.DisablePolicy, ElevationStep.Revoke }.Order(StringComparer.Ordinal),
            workflow.Signals.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("Progress", workflow.Queries.Keys);
    }

    [Fact]
    public Task An_approved_grant_activates_holds_until_expiry_and_is_closed_out() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.Approve, new ApprovalSignal("ada@acme.test", Complete: true))
            .WorkflowTask()
            .TimerCanceled() // the decision came before the deadline
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task A_denied_grant_ends_denied_without_any_activity() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.Deny, "ada@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Completed(ElevationStatus.Denied),
        ElevationStatus.Denied);

    [Fact]
    public Task No_decision_by_the_deadline_expires_the_request() => AssertReplaysToAsync(
        Requested()
            .TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Expired), Input)
            .Completed(ElevationStatus.Expired),
        ElevationStatus.Expired);

    [Fact]
    public Task A_deadline_already_past_when_the_workflow_starts_expires_at_once_without_a_timer()
    {
        // The workflow started late (the deadline was at the start): no timer is started for a wait that is already over.
        var late = Input with { Deadline = WorkflowHistoryBuilder.StartTime.UtcDateTime };
        return AssertReplaysToAsync(
            new WorkflowHistoryBuilder()
                .Started<RootElevationWorkflow>(TaskQueue, late)
                .WorkflowTask()
                .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Expired), late)
                .Completed(ElevationStatus.Expired),
            ElevationStatus.Expired);
    }

    [Fact]
    public Task A_revoke_while_active_cancels_the_expiry_timer_and_closes_out_at_once() => AssertReplaysToAsync(
        ActiveGrant()
            .Signaled(ElevationStep.Revoke, "ada@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task With_two_approvals_required_the_first_leaves_it_waiting_and_the_second_activates() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.Approve, new ApprovalSignal("ada@acme.test", Complete: false))
            .WorkflowTask() // no command: the deadline timer keeps running
            .Signaled(ElevationStep.Approve, new ApprovalSignal("grace@acme.test", Complete: true))
            .WorkflowTask()
            .TimerCanceled()
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task One_approval_of_two_then_the_deadline_expires_the_request() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.Approve, new ApprovalSignal("ada@acme.test", Complete: false))
            .WorkflowTask()
            .TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Expired), Input)
            .Completed(ElevationStatus.Expired),
        ElevationStatus.Expired);

    [Fact]
    public Task A_revoke_while_pending_ends_it_revoked_without_any_activity() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.Revoke, "dev@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Completed(ElevationStatus.Revoked),
        ElevationStatus.Revoked);

    [Fact]
    public Task Root_disabled_while_pending_ends_the_grant_through_its_activity() => AssertReplaysToAsync(
        Requested()
            .Signaled(ElevationStep.DisablePolicy, "owner@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Ran(ElevationStep.EndForDisabledPolicy, ClosedOut, Input, "owner@acme.test")
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task Root_disabled_while_active_closes_out_at_once() => AssertReplaysToAsync(
        ActiveGrant()
            .Signaled(ElevationStep.DisablePolicy, "owner@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, "owner@acme.test")
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task An_approval_whose_signal_was_lost_is_found_at_the_deadline_and_activated() => AssertReplaysToAsync(
        Requested()
            .TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Approved), Input) // recorded on the stream, never signalled
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task A_denial_whose_signal_was_lost_is_found_at_the_deadline_and_ends_the_grant() => AssertReplaysToAsync(
        Requested()
            .TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Denied), Input)
            .Completed(ElevationStatus.Denied),
        ElevationStatus.Denied);

    [Fact]
    public Task An_activation_that_fails_for_good_is_abandoned_and_closed_out() => AssertReplaysToAsync(
        Approved()
            .ActivityScheduled(ElevationStep.Activate, Input).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("the workspace has no running host to elevate on", "elevation.no_host", nonRetryable: true))
            .WorkflowTask()
            .Ran(ElevationStep.AbandonActivation, ClosedOut, Input)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task An_activation_that_took_effect_after_all_is_held_and_closed_out_when_abandoning_finds_it_active() => AssertReplaysToAsync(
        Approved()
            .ActivityScheduled(ElevationStep.Activate, Input).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("ssm: command timed out", "host_timeout")) // retries spent
            .WorkflowTask()
            .Ran(ElevationStep.AbandonActivation, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public Task A_grant_revoked_while_it_was_being_activated_ends_as_the_stream_says() => AssertReplaysToAsync(
        Approved()
            .ActivityScheduled(ElevationStep.Activate, Input).ActivityStarted()
            .Signaled(ElevationStep.Revoke, "ada@acme.test")
            .WorkflowTask() // no command: the activation in flight is not cancelled, it re-reads the stream
            .ActivityCompleted(new GrantState(ElevationStatus.Revoked)) // it found the revoke and left nothing on the host
            .WorkflowTask()
            .Completed(ElevationStatus.Revoked),
        ElevationStatus.Revoked);

    [Fact]
    public Task A_revoke_that_arrives_while_activation_succeeds_closes_out_without_holding() => AssertReplaysToAsync(
        Approved()
            .ActivityScheduled(ElevationStep.Activate, Input).ActivityStarted()
            .Signaled(ElevationStep.Revoke, "ada@acme.test")
            .WorkflowTask()
            .ActivityCompleted(Active) // root was activated before the revoke was recorded
            .WorkflowTask() // the revoke is already known: no expiry timer is started, the closeout is scheduled at once
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut),
        ElevationStatus.ClosedOut);

    [Fact]
    public async Task A_history_that_closes_out_without_waiting_for_the_expiry_fails_replay()
    {
        var history = Approved()
            .Ran(ElevationStep.Activate, Active, Input)
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut);

        var outcome = await AssertNondeterministicAsync(history);
        Assert.False(outcome.Returned, "the workflow waits for the expiry: it cannot have reached its end");
    }

    [Fact]
    public async Task A_history_that_activates_after_a_denial_fails_replay()
    {
        var history = Requested()
            .Signaled(ElevationStep.Deny, "ada@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut);

        var outcome = await AssertNondeterministicAsync(history);
        Assert.Equal(ElevationStatus.Denied, outcome.Result); // the code ended the grant at the denial; the history went on
    }

    [Fact]
    public async Task A_history_that_activates_without_waiting_for_a_decision_fails_replay()
    {
        var history = new WorkflowHistoryBuilder()
            .Started<RootElevationWorkflow>(TaskQueue, Input)
            .WorkflowTask()
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut);

        var outcome = await AssertNondeterministicAsync(history);
        Assert.False(outcome.Returned, "the workflow waits for a decision: it cannot have reached its end");
    }

    [Fact]
    public async Task A_history_that_activates_an_expired_request_fails_replay()
    {
        var history = Requested()
            .TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.ExpirePending, new GrantState(ElevationStatus.Expired), Input)
            .Ran(ElevationStep.Activate, Active, Input)
            .TimerStartedUntil(ExpiresAt).TimerFired()
            .WorkflowTask()
            .Ran(ElevationStep.CloseOut, ClosedOut, Input, null)
            .Completed(ElevationStatus.ClosedOut);

        var outcome = await AssertNondeterministicAsync(history);
        Assert.Equal(ElevationStatus.Expired, outcome.Result); // the code ended the grant expired; the history went on
    }

    [Fact]
    public async Task A_history_that_leaves_an_abandoned_activation_without_a_closeout_fails_replay()
    {
        var history = Approved()
            .ActivityScheduled(ElevationStep.Activate, Input).ActivityStarted()
            .ActivityFailed(new ApplicationFailureException("the workspace has no running host to elevate on", "elevation.no_host", nonRetryable: true))
            .WorkflowTask()
            .Completed(ElevationStatus.Approved);

        var outcome = await AssertNondeterministicAsync(history);
        Assert.False(outcome.Returned, "the workflow closes out an abandoned activation: it cannot have ended without it");
    }

    [Fact]
    public async Task The_replayer_does_not_compare_results_so_the_returned_status_is_asserted()
    {
        // The commands of a denial, but the history claims the grant was closed out: replay passes, the workflow says Denied.
        var history = Requested()
            .Signaled(ElevationStep.Deny, "ada@acme.test")
            .WorkflowTask()
            .TimerCanceled()
            .Completed(ElevationStatus.ClosedOut);

        var outcome = await Replay.RunAsync<RootElevationWorkflow>(history.Build(WorkflowId));

        Assert.Null(outcome.Failure);
        Assert.Equal(ElevationStatus.Denied, outcome.Result);
    }

    private static string WorkflowId => ElevationInput.WorkflowId(Input.GrantId);

    /// <summary>Started; the first task waits for a decision until the deadline.</summary>
    private static WorkflowHistoryBuilder Requested() => new WorkflowHistoryBuilder()
        .Started<RootElevationWorkflow>(TaskQueue, Input)
        .WorkflowTask()
        .TimerStartedUntil(Input.Deadline);

    /// <summary>Fully approved before the deadline: the next commands are the activation's.</summary>
    private static WorkflowHistoryBuilder Approved() => Requested()
        .Signaled(ElevationStep.Approve, new ApprovalSignal("ada@acme.test", Complete: true))
        .WorkflowTask()
        .TimerCanceled();

    /// <summary>Activated, and holding root on a timer until the window's end.</summary>
    private static WorkflowHistoryBuilder ActiveGrant() => Approved()
        .Ran(ElevationStep.Activate, Active, Input)
        .TimerStartedUntil(ExpiresAt);

    private static async Task AssertReplaysToAsync(WorkflowHistoryBuilder history, ElevationStatus expected)
    {
        var outcome = await Replay.RunAsync<RootElevationWorkflow>(history.Build(WorkflowId));

        Assert.Null(outcome.Failure);
        Assert.True(outcome.Returned, "the workflow did not return");
        Assert.Equal(expected, outcome.Result);
    }

    /// <summary>
    /// Replay must fail. Where the workflow code ends the grant earlier than the history does, its run method returns
    /// (with how the code ended it) before the history's next event shows the mismatch: the outcome is returned for that.
    /// </summary>
    private static async Task<ReplayOutcome> AssertNondeterministicAsync(WorkflowHistoryBuilder history)
    {
        var outcome = await Replay.RunAsync<RootElevationWorkflow>(history.Build(WorkflowId));

        var failure = Assert.IsType<WorkflowNondeterminismException>(outcome.Failure);
        Assert.Contains("[TMPRL1100] Nondeterminism error", failure.Message, StringComparison.Ordinal);
        return outcome;
    }
}

/// <summary>The SDK's names for the grant's activities and signals (checked against the SDK by the first test).</summary>
internal static class ElevationStep
{
    public const string ExpirePending = "RootElevation.ExpirePending";
    public const string Activate = "RootElevation.Activate";
    public const string AbandonActivation = "RootElevation.AbandonActivation";
    public const string CloseOut = "RootElevation.CloseOut";
    public const string EndForDisabledPolicy = "RootElevation.EndForDisabledPolicy";
    public const string Approve = "Approve";
    public const string Deny = "Deny";
    public const string Revoke = "Revoke";
    public const string DisablePolicy = "DisablePolicy";

    /// <summary>An activity that ran to <paramref name="result"/>, followed by the workflow task that read it.</summary>
    public static WorkflowHistoryBuilder Ran(this WorkflowHistoryBuilder history, string activity, object? result, params object?[] input) =>
        history.ActivityScheduled(activity, input).ActivityStarted().ActivityCompleted(result).WorkflowTask();
}
