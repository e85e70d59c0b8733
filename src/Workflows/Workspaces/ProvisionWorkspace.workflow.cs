using EnvForge.Domain.Workspaces;
using Microsoft.Extensions.Logging;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Workspaces;

/// <summary>What the provisioning workflow answers to a status query.</summary>
public sealed record ProvisionWorkspaceStatus(ProvisioningStep CurrentStep, ProvisionOutcome? Outcome, string? CancelRequestedBy, string? Reason);

/// <summary>
/// Provisions a workspace: assume the org's role, terraform apply, verify, ready. A failed step is recorded and its
/// resources destroyed; a cancel signal stops the step in flight, is recorded, and destroys the same way.
/// </summary>
/// <remarks>
/// Every step in flight waits for its activity to confirm cancellation (<see cref="ActivityCancellationType.WaitCancellationCompleted"/>)
/// rather than walking away from it (<see cref="ActivityCancellationType.TryCancel"/>): terraform destroy must never start
/// while an apply still holds the state and creates resources, and the cancelled event must not race a step's own events.
/// Activities that do not heartbeat cannot see the request and finish first; the next step then never starts.
/// </remarks>
[Workflow]
public sealed partial class ProvisionWorkspaceWorkflow
{
    private CancellationTokenSource? _inFlight;
    private ProvisioningStep _step = ProvisioningStep.AssumeRole;
    private ProvisionOutcome? _outcome;
    private string? _cancelRequestedBy;
    private string? _reason;

    [WorkflowRun]
    public async Task<ProvisionWorkspaceResult> RunAsync(ProvisionWorkspaceInput input)
    {
        // Linked to the workflow's own token, so a cancel through Temporal stops the step in flight just like the signal.
        using var inFlight = CancellationTokenSource.CreateLinkedTokenSource(Workflow.CancellationToken);
        _inFlight = inFlight;
        if (_cancelRequestedBy is not null)
        {
            inFlight.Cancel(); // the signal was delivered before the run began
        }

        try
        {
            // Start is the bookkeeping of the first step: a failure there is recorded against AssumeRole.
            await Workflow.ExecuteActivityAsync(
                (ProvisioningActivities a) => a.StartAsync(input),
                new()
                {
                    StartToCloseTimeout = TimeSpan.FromMinutes(1),
                    RetryPolicy = new() { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2 },
                    CancellationToken = inFlight.Token,
                    CancellationType = ActivityCancellationType.WaitCancellationCompleted,
                });

            await Workflow.ExecuteActivityAsync(
                (ProvisioningActivities a) => a.AssumeRoleAsync(input),
                new()
                {
                    StartToCloseTimeout = TimeSpan.FromMinutes(2),
                    RetryPolicy = new() { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(5), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
                    CancellationToken = inFlight.Token,
                    CancellationType = ActivityCancellationType.WaitCancellationCompleted,
                });

            _step = ProvisioningStep.Terraform;
            var applied = await Workflow.ExecuteActivityAsync(
                (ProvisioningActivities a) => a.ApplyTerraformAsync(input),
                new()
                {
                    // An apply can take long; heartbeats (terraform's progress) show it is alive and carry the cancel request.
                    StartToCloseTimeout = TimeSpan.FromHours(2),
                    HeartbeatTimeout = TimeSpan.FromMinutes(2),
                    RetryPolicy = new() { MaximumAttempts = 3, InitialInterval = TimeSpan.FromSeconds(30), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(5) },
                    CancellationToken = inFlight.Token,
                    CancellationType = ActivityCancellationType.WaitCancellationCompleted,
                });

            _step = ProvisioningStep.Verify;
            await Workflow.ExecuteActivityAsync(
                (ProvisioningActivities a) => a.VerifyAsync(input, applied),
                new()
                {
                    // A fresh instance takes minutes to register with SSM: retry patiently before calling it failed.
                    StartToCloseTimeout = TimeSpan.FromMinutes(5),
                    RetryPolicy = new() { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(15), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(2) },
                    CancellationToken = inFlight.Token,
                    CancellationType = ActivityCancellationType.WaitCancellationCompleted,
                });

            // Verify has marked the workspace ready: from here on a cancel is too late and changes nothing.
            _outcome = ProvisionOutcome.Ready;
            return new(ProvisionOutcome.Ready, null, null);
        }
        catch (TemporalException) when (inFlight.IsCancellationRequested)
        {
            // Whatever the step in flight ended with (cancelled, or failed while being cancelled), the caller asked to stop.
            return await CancelAndDestroyAsync(input, _cancelRequestedBy ?? "system:workflow-cancelled");
        }
        catch (ActivityFailureException failure)
        {
            return await FailAndDestroyAsync(input, _step, Reason(failure));
        }
    }

    /// <summary>Cancels provisioning: the step in flight is cancelled and what it created is destroyed.</summary>
    [WorkflowSignal]
    public Task CancelAsync(string actor)
    {
        // Nothing to cancel once ready, once a failure is being compensated, or when already cancelling.
        if (_outcome is null && _reason is null && _cancelRequestedBy is null)
        {
            _cancelRequestedBy = actor;
            // Cancel(), never CancelAsync(): the latter runs the callbacks on the thread pool, outside the workflow's scheduler.
            _inFlight?.Cancel();
        }

        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public ProvisionWorkspaceStatus Status => new(_step, _outcome, _cancelRequestedBy, _reason);

    private async Task<ProvisionWorkspaceResult> FailAndDestroyAsync(ProvisionWorkspaceInput input, ProvisioningStep step, string reason)
    {
        _reason = reason;
        await RecordAsync(() => Workflow.ExecuteActivityAsync((ProvisioningActivities a) => a.FailAsync(input, step, reason), Bookkeeping()));
        await DestroyAsync(input);
        _outcome = ProvisionOutcome.Failed;
        return new(ProvisionOutcome.Failed, step, reason);
    }

    private async Task<ProvisionWorkspaceResult> CancelAndDestroyAsync(ProvisionWorkspaceInput input, string actor)
    {
        _reason = $"cancelled by {actor}";
        await RecordAsync(() => Workflow.ExecuteActivityAsync((ProvisioningActivities a) => a.CancelAsync(input, actor), Bookkeeping()));
        await DestroyAsync(input);
        _outcome = ProvisionOutcome.Cancelled;
        return new(ProvisionOutcome.Cancelled, null, _reason);
    }

    /// <summary>
    /// Compensation. Leaving resources in the customer's account is worse than waiting, so it retries longer than any
    /// step; if it still fails the workflow fails with that failure, visibly, for an operator.
    /// </summary>
    private static Task DestroyAsync(ProvisionWorkspaceInput input) => Workflow.ExecuteActivityAsync(
        (ProvisioningActivities a) => a.DestroyAsync(input),
        new()
        {
            StartToCloseTimeout = TimeSpan.FromHours(2),
            HeartbeatTimeout = TimeSpan.FromMinutes(2),
            RetryPolicy = new() { MaximumAttempts = 10, InitialInterval = TimeSpan.FromMinutes(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(30) },
            CancellationToken = CancellationToken.None, // detached: compensation runs even when the workflow is cancelled
        });

    /// <summary>Options of the Fail and Cancel records: short appends, detached from any cancellation.</summary>
    private static ActivityOptions Bookkeeping() => new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2 },
        CancellationToken = CancellationToken.None,
    };

    /// <summary>A record that cannot be written (say, the stream refuses it) must not keep resources from being destroyed.</summary>
    private static async Task RecordAsync(Func<Task> record)
    {
        try
        {
            await record();
        }
        catch (ActivityFailureException failure)
        {
            LogRecordFailed(Workflow.Logger, Reason(failure));
        }
    }

    /// <summary>The activity's own message: activities keep their failure messages secret-free, as Temporal stores them.</summary>
    private static string Reason(ActivityFailureException failure) => failure.InnerException?.Message ?? failure.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the provisioning outcome ({Reason}); destroying anyway")]
    private static partial void LogRecordFailed(ILogger logger, string reason);
}
