using System.Reflection;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Workspaces;
using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Tests.Workspaces;

/// <summary>
/// The provisioning workflow replayed over histories built in code: each history is what a server would have
/// recorded for one path, and the real workflow code must issue exactly its commands (else "[TMPRL1100]
/// Nondeterminism error"). The replayer compares commands (activity types and ids, cancel requests, completion),
/// not arguments or the result payload; the value the workflow returns is captured and asserted here instead.
/// </summary>
public sealed class ProvisionWorkspaceReplayTests
{
    private static readonly ProvisionWorkspaceInput Input = new(Guid.Parse("0199a3c4-0000-7000-8000-00000000a001"), Guid.Parse("0199a3c4-0000-7000-8000-00000000b001"), "dev@acme.test");
    private static readonly RoleCheck Role = new("envforge-ws-a001", WorkflowHistoryBuilder.StartTime.AddHours(1));
    private static readonly TerraformApplied Applied = new(["i-0abc123def4567890"], "eu-west-1", "Apply complete! Resources: 7 added, 0 changed, 0 destroyed.");
    private static readonly Verified Checks = new(["ec2: instance running", "ssm: agent online"]);

    private static string WorkflowId => ProvisionWorkspaceInput.WorkflowId(Input.WorkspaceId);

    [Fact]
    public void Activity_names_are_explicit_and_prefixed_and_the_signal_is_Cancel()
    {
        var activityNames = typeof(ProvisioningActivities)
            .GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => ActivityDefinition.Create(m, _ => null).Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { Step.ApplyTerraform, Step.AssumeRole, Step.Cancel, Step.Destroy, Step.Fail, Step.Start, Step.Verify }.Order(StringComparer.Ordinal),
            activityNames);

        var workflow = WorkflowDefinition.Create<ProvisionWorkspaceWorkflow>();
        Assert.Equal("ProvisionWorkspaceWorkflow", workflow.Name);
        Assert.Contains(Step.CancelSignal, workflow.Signals.Keys);
        Assert.Contains("Status", workflow.Queries.Keys);
    }

    [Fact]
    public async Task Provisions_to_ready_through_every_step_in_order()
    {
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .Ran(Step.Verify, Checks, Input, Applied)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Ready, null, null));
    }

    [Fact]
    public async Task Failing_to_assume_the_role_records_the_failure_and_destroys()
    {
        var reason = "the organization's role could not be assumed: AccessDenied";
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Failed(Step.AssumeRole, new ApplicationFailureException(reason, "aws_access_denied", nonRetryable: true), Input)
            .Compensated(Step.Fail, Input, ProvisioningStep.AssumeRole, reason)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.AssumeRole, reason));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Failed, ProvisioningStep.AssumeRole, reason));
    }

    [Fact]
    public async Task Failing_terraform_apply_records_the_failure_and_destroys()
    {
        var reason = "terraform apply failed: Error creating EC2 Instance: InsufficientInstanceCapacity";
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Failed(Step.ApplyTerraform, new ApplicationFailureException(reason, "terraform_failed", nonRetryable: true), Input)
            .Compensated(Step.Fail, Input, ProvisioningStep.Terraform, reason)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Terraform, reason));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Failed, ProvisioningStep.Terraform, reason));
    }

    [Fact]
    public async Task Failing_verification_after_its_retries_records_the_failure_and_destroys()
    {
        var reason = "ssm: agent on i-0abc123def4567890 is not online";
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .Failed(Step.Verify, new ApplicationFailureException(reason, "verification_failed"), Input, Applied)
            .Compensated(Step.Fail, Input, ProvisioningStep.Verify, reason)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Verify, reason));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Failed, ProvisioningStep.Verify, reason));
    }

    [Fact]
    public async Task Cancel_during_terraform_cancels_the_apply_then_records_and_destroys()
    {
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .ActivityScheduled(Step.ApplyTerraform, Input).ActivityStarted()
            .Signaled(Step.CancelSignal, "owner@acme.test")
            .WorkflowTask() // the signal cancels the token of the step in flight: RequestCancelActivityTask
            .ActivityCancelRequested()
            .ActivityCanceled() // waited for: terraform stopped before anything is destroyed
            .WorkflowTask()
            .Compensated(Step.Cancel, Input, "owner@acme.test")
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"));
    }

    [Fact]
    public async Task A_step_that_finishes_despite_the_cancel_is_the_last_one_that_runs()
    {
        // AssumeRole does not heartbeat, so it cannot see the request and completes; terraform then never starts.
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .ActivityScheduled(Step.AssumeRole, Input).ActivityStarted()
            .Signaled(Step.CancelSignal, "owner@acme.test")
            .WorkflowTask()
            .ActivityCancelRequested()
            .ActivityCompleted(Role)
            .WorkflowTask()
            .Compensated(Step.Cancel, Input, "owner@acme.test")
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"));
    }

    [Fact]
    public async Task A_cancel_that_arrives_once_verification_has_passed_changes_nothing()
    {
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .ActivityScheduled(Step.Verify, Input, Applied).ActivityStarted().ActivityCompleted(Checks)
            .Signaled(Step.CancelSignal, "owner@acme.test") // lands in the same workflow task as the verification result
            .WorkflowTask()
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Ready, null, null));
    }

    [Fact]
    public async Task A_cancel_that_arrives_while_a_failure_is_compensated_changes_nothing()
    {
        var reason = "terraform apply failed: Error creating EC2 Instance: InsufficientInstanceCapacity";
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Failed(Step.ApplyTerraform, new ApplicationFailureException(reason, "terraform_failed", nonRetryable: true), Input)
            .ActivityScheduled(Step.Fail, Input, ProvisioningStep.Terraform, reason).ActivityStarted()
            .Signaled(Step.CancelSignal, "owner@acme.test")
            .WorkflowTask() // no command: neither the record nor the destroy is cancelled
            .ActivityCompleted()
            .WorkflowTask()
            .Ran(Step.Destroy, null, Input)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Terraform, reason));

        await AssertReplaysToAsync(history, new(ProvisionOutcome.Failed, ProvisioningStep.Terraform, reason));
    }

    [Fact]
    public async Task A_history_that_skips_verification_fails_replay()
    {
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null));

        await AssertNondeterministicAsync(history);
    }

    [Fact]
    public async Task A_history_that_applies_terraform_before_assuming_the_role_fails_replay()
    {
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.Verify, Checks, Input, Applied)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null));

        await AssertNondeterministicAsync(history);
    }

    [Fact]
    public async Task A_history_where_a_failure_is_not_compensated_fails_replay()
    {
        var reason = "terraform apply failed";
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Failed(Step.ApplyTerraform, new ApplicationFailureException(reason, "terraform_failed", nonRetryable: true), Input)
            .Ran(Step.Fail, null, Input, ProvisioningStep.Terraform, reason) // recorded, but never destroyed
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Terraform, reason));

        await AssertNondeterministicAsync(history);
    }

    [Fact]
    public async Task A_history_that_destroys_before_the_apply_has_stopped_fails_replay()
    {
        // The shape TryCancel would give: compensation scheduled in the task that requested the cancel, not after the
        // apply confirmed it. The workflow waits for the confirmation, so this is not its history.
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .ActivityScheduled(Step.ApplyTerraform, Input).ActivityStarted()
            .Signaled(Step.CancelSignal, "owner@acme.test")
            .WorkflowTask()
            .ActivityCancelRequested()
            .Compensated(Step.Cancel, Input, "owner@acme.test")
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"));

        await AssertNondeterministicAsync(history);
    }

    [Fact]
    public async Task The_replayer_does_not_compare_results_so_the_captured_result_is_asserted()
    {
        // Same commands as the happy path, but the history claims a failure: replay passes, the returned value says Ready.
        var history = Begin()
            .Ran(Step.Start, null, Input)
            .Ran(Step.AssumeRole, Role, Input)
            .Ran(Step.ApplyTerraform, Applied, Input)
            .Ran(Step.Verify, Checks, Input, Applied)
            .Completed(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Verify, "not what happened"));

        var outcome = await Replay.RunAsync<ProvisionWorkspaceWorkflow>(history.Build(WorkflowId));

        Assert.Null(outcome.Failure);
        Assert.Equal(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null), outcome.Result);
    }

    private static WorkflowHistoryBuilder Begin() =>
        new WorkflowHistoryBuilder().Started<ProvisionWorkspaceWorkflow>("envforge", Input).WorkflowTask();

    private static async Task AssertReplaysToAsync(WorkflowHistoryBuilder history, ProvisionWorkspaceResult expected)
    {
        var outcome = await Replay.RunAsync<ProvisionWorkspaceWorkflow>(history.Build(WorkflowId));

        Assert.Null(outcome.Failure);
        Assert.True(outcome.Returned, "the workflow did not return");
        Assert.Equal(expected, outcome.Result);
    }

    private static async Task AssertNondeterministicAsync(WorkflowHistoryBuilder history)
    {
        var outcome = await Replay.RunAsync<ProvisionWorkspaceWorkflow>(history.Build(WorkflowId));

        var failure = Assert.IsType<Temporalio.Exceptions.WorkflowNondeterminismException>(outcome.Failure);
        Assert.Contains("[TMPRL1100] Nondeterminism error", failure.Message, StringComparison.Ordinal);
        Assert.False(outcome.Returned, "a nondeterministic replay must not reach the end of the workflow");
    }
}

/// <summary>The SDK's names for the provisioning activities and signal (checked against the SDK by the first test).</summary>
internal static class Step
{
    public const string Start = "WorkspaceProvisioning.Start";
    public const string AssumeRole = "WorkspaceProvisioning.AssumeRole";
    public const string ApplyTerraform = "WorkspaceProvisioning.ApplyTerraform";
    public const string Verify = "WorkspaceProvisioning.Verify";
    public const string Fail = "WorkspaceProvisioning.Fail";
    public const string Cancel = "WorkspaceProvisioning.Cancel";
    public const string Destroy = "WorkspaceProvisioning.Destroy";
    public const string CancelSignal = "Cancel";

    /// <summary>An activity that ran to <paramref name="result"/>, followed by the workflow task that read it.</summary>
    public static WorkflowHistoryBuilder Ran(this WorkflowHistoryBuilder history, string activity, object? result, params object?[] input) =>
        history.ActivityScheduled(activity, input).ActivityStarted().ActivityCompleted(result).WorkflowTask();

    /// <summary>An activity that failed for good, followed by the workflow task that read the failure.</summary>
    public static WorkflowHistoryBuilder Failed(this WorkflowHistoryBuilder history, string activity, Exception failure, params object?[] input) =>
        history.ActivityScheduled(activity, input).ActivityStarted().ActivityFailed(failure).WorkflowTask();

    /// <summary>The record of the outcome (Fail or Cancel), then the destroy that compensates.</summary>
    public static WorkflowHistoryBuilder Compensated(this WorkflowHistoryBuilder history, string record, params object?[] recordInput) =>
        history.Ran(record, null, recordInput).Ran(Destroy, null, recordInput[0]);
}
