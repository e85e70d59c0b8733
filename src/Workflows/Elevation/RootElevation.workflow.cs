using EnvForge.Domain.Elevation;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Elevation;

/// <summary>
/// One root grant, from request to its end: wait for approval (or denial, withdrawal, or the deadline), activate root on
/// the workspace's host, hold it for the approved window on a durable timer, and close it out at expiry, at once on a
/// revoke, or when root is disabled. The stream is the truth: the API records each decision before it signals, and
/// every activity re-decides against the stream, so a lost signal is caught up at the next timer. Every path ends the
/// grant; none leaves root in place.
/// </summary>
[Workflow]
public sealed class RootElevationWorkflow
{
    private readonly List<string> _approvers = [];
    private bool _approved;
    private string? _deniedBy;
    private string? _revokedBy;
    private string? _policyDisabledBy;
    private ElevationPhase _phase = ElevationPhase.AwaitingDecision;
    private DateTime _deadline;
    private DateTime? _expiresAt;
    private ElevationStatus? _endedAs;

    /// <summary>Recording an end on the stream: retried without a limit, because a grant must always end.</summary>
    private static readonly ActivityOptions Record = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    /// <summary>Putting root on the host: a few attempts, then the grant is abandoned (closed out) rather than left approved.</summary>
    private static readonly ActivityOptions Activation = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(10),
        HeartbeatTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2 },
    };

    /// <summary>Taking root away: retried without a limit (and the host holds its own expiry as a backstop).</summary>
    private static readonly ActivityOptions Closeout = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(10),
        HeartbeatTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(5) },
    };

    /// <summary>Returns how the grant ended, or null when its request was never recorded.</summary>
    [WorkflowRun]
    public async Task<ElevationStatus?> RunAsync(ElevationInput input)
    {
        _deadline = input.Deadline;
        var state = await AwaitDecisionAsync(input);
        if (state.Status == ElevationStatus.Approved)
        {
            state = await ActivateAsync(input);
        }

        if (state.Status == ElevationStatus.Active)
        {
            state = await HoldThenCloseOutAsync(input, state.ExpiresAt ?? Workflow.UtcNow);
        }

        _phase = ElevationPhase.Ended;
        _endedAs = state.Status;
        return state.Status;
    }

    private async Task<GrantState> AwaitDecisionAsync(ElevationInput input)
    {
        var remaining = input.Deadline - Workflow.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Workflow.WaitConditionAsync(() => _approved || _deniedBy is not null || _revokedBy is not null || _policyDisabledBy is not null, remaining);
        }

        if (_policyDisabledBy is { } disabledBy)
        {
            return await Workflow.ExecuteActivityAsync((ElevationActivities a) => a.EndForDisabledPolicyAsync(input, disabledBy), Record);
        }

        if (_revokedBy is not null)
        {
            return new GrantState(ElevationStatus.Revoked);
        }

        if (_deniedBy is not null)
        {
            return new GrantState(ElevationStatus.Denied);
        }

        if (_approved)
        {
            return new GrantState(ElevationStatus.Approved);
        }

        // The deadline passed with no decision signalled. The activity ends a pending request, and reports a decision
        // that was recorded but whose signal never arrived (the workflow then carries on from it).
        return await Workflow.ExecuteActivityAsync((ElevationActivities a) => a.ExpirePendingAsync(input), Record);
    }

    private async Task<GrantState> ActivateAsync(ElevationInput input)
    {
        _phase = ElevationPhase.Activating;
        try
        {
            return await Workflow.ExecuteActivityAsync((ElevationActivities a) => a.ActivateAsync(input), Activation);
        }
        catch (ActivityFailureException)
        {
            return await Workflow.ExecuteActivityAsync((ElevationActivities a) => a.AbandonActivationAsync(input), Closeout);
        }
    }

    private async Task<GrantState> HoldThenCloseOutAsync(ElevationInput input, DateTime expiresAt)
    {
        _phase = ElevationPhase.Active;
        _expiresAt = expiresAt;
        var remaining = expiresAt - Workflow.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Workflow.WaitConditionAsync(() => _revokedBy is not null || _policyDisabledBy is not null, remaining);
        }

        _phase = ElevationPhase.ClosingOut;
        var disabledBy = _policyDisabledBy;
        return await Workflow.ExecuteActivityAsync((ElevationActivities a) => a.CloseOutAsync(input, disabledBy), Closeout);
    }

    /// <summary>An approval was recorded; the last one needed lets the grant activate.</summary>
    [WorkflowSignal]
    public Task ApproveAsync(ApprovalSignal approval)
    {
        if (!_approvers.Contains(approval.Approver))
        {
            _approvers.Add(approval.Approver);
        }

        _approved |= approval.Complete;
        return Task.CompletedTask;
    }

    /// <summary>A denial was recorded: the grant has ended.</summary>
    [WorkflowSignal]
    public Task DenyAsync(string approver)
    {
        _deniedBy ??= approver;
        return Task.CompletedTask;
    }

    /// <summary>A revoke was recorded: a pending grant has ended; an active one is closed out now.</summary>
    [WorkflowSignal]
    public Task RevokeAsync(string revokedBy)
    {
        _revokedBy ??= revokedBy;
        return Task.CompletedTask;
    }

    /// <summary>The org switched root off: end the grant whatever its state.</summary>
    [WorkflowSignal]
    public Task DisablePolicyAsync(string actor)
    {
        _policyDisabledBy ??= actor;
        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public ElevationProgress Progress => new(_phase, [.. _approvers], _deadline, _expiresAt, _revokedBy, _policyDisabledBy is not null, _endedAs);
}
