using System.Collections.Concurrent;
using EnvForge.Domain.Elevation;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Elevation;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Worker;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// The root elevation workflow run for real on a live Temporal server (see <see cref="TemporalServer"/>): real signals,
/// real durable timers, with stand-in activities registered under the same names. Each test has its own task queue and
/// grant. Skipped, with the reason, where no server is reachable.
/// </summary>
public sealed class RootElevationLiveTests(TemporalServer temporal) : IClassFixture<TemporalServer>
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Approve_activates_and_a_revoke_closes_out_at_once_on_a_live_server()
    {
        var activities = new StandInGrant { Window = TimeSpan.FromHours(1) };

        var (result, progress) = await RunAsync(activities, Limit, async (handle, ct) =>
        {
            await handle.SignalAsync(wf => wf.ApproveAsync(new ApprovalSignal("ada@acme.test", Complete: true)));
            await WaitForPhaseAsync(handle, ElevationPhase.Active, ct);
            await handle.SignalAsync(wf => wf.RevokeAsync("ada@acme.test"));
        });

        Assert.Equal(ElevationStatus.ClosedOut, result);
        Assert.Equal(["Activate", "CloseOut:"], activities.Calls);
        Assert.Equal(ElevationPhase.Ended, progress.Phase);
        Assert.Equal(["ada@acme.test"], progress.Approvers);
        Assert.Equal("ada@acme.test", progress.RevokedBy);
        Assert.Equal(ElevationStatus.ClosedOut, progress.EndedAs);
    }

    [Fact]
    public async Task Two_approvals_then_the_window_ends_and_the_grant_is_closed_out_on_a_live_server()
    {
        var activities = new StandInGrant { Window = TimeSpan.FromSeconds(2) };

        var (result, progress) = await RunAsync(activities, Limit, async (handle, ct) =>
        {
            await handle.SignalAsync(wf => wf.ApproveAsync(new ApprovalSignal("ada@acme.test", Complete: false)));
            await handle.SignalAsync(wf => wf.ApproveAsync(new ApprovalSignal("grace@acme.test", Complete: true)));
        });

        Assert.Equal(ElevationStatus.ClosedOut, result);
        Assert.Equal(["Activate", "CloseOut:"], activities.Calls);
        Assert.Equal(["ada@acme.test", "grace@acme.test"], progress.Approvers);
        Assert.Null(progress.RevokedBy);
    }

    [Fact]
    public async Task No_decision_by_a_short_deadline_expires_the_request_on_a_live_server()
    {
        var activities = new StandInGrant();

        var (result, progress) = await RunAsync(activities, TimeSpan.FromSeconds(2), (_, _) => Task.CompletedTask);

        Assert.Equal(ElevationStatus.Expired, result);
        Assert.Equal(["ExpirePending"], activities.Calls);
        Assert.Equal(ElevationStatus.Expired, progress.EndedAs);
    }

    [Fact]
    public async Task A_lost_approval_is_found_at_the_deadline_and_activated_on_a_live_server()
    {
        var activities = new StandInGrant { FoundAtDeadline = ElevationStatus.Approved, Window = TimeSpan.FromSeconds(2) };

        var (result, _) = await RunAsync(activities, TimeSpan.FromSeconds(2), (_, _) => Task.CompletedTask);

        Assert.Equal(ElevationStatus.ClosedOut, result);
        Assert.Equal(["ExpirePending", "Activate", "CloseOut:"], activities.Calls);
    }

    [Fact]
    public async Task A_denial_ends_the_grant_without_any_activity_on_a_live_server()
    {
        var activities = new StandInGrant();

        var (result, _) = await RunAsync(activities, Limit, (handle, _) => handle.SignalAsync(wf => wf.DenyAsync("ada@acme.test")));

        Assert.Equal(ElevationStatus.Denied, result);
        Assert.Empty(activities.Calls);
    }

    [Fact]
    public async Task Root_disabled_while_active_closes_out_with_who_disabled_it_on_a_live_server()
    {
        var activities = new StandInGrant { Window = TimeSpan.FromHours(1) };

        var (result, progress) = await RunAsync(activities, Limit, async (handle, ct) =>
        {
            await handle.SignalAsync(wf => wf.ApproveAsync(new ApprovalSignal("ada@acme.test", Complete: true)));
            await WaitForPhaseAsync(handle, ElevationPhase.Active, ct);
            await handle.SignalAsync(wf => wf.DisablePolicyAsync("owner@acme.test"));
        });

        Assert.Equal(ElevationStatus.ClosedOut, result);
        Assert.Equal(["Activate", "CloseOut:owner@acme.test"], activities.Calls);
        Assert.True(progress.PolicyDisabled);
    }

    /// <summary>
    /// Starts one grant's workflow, due for a decision within <paramref name="decideWithin"/>, on a fresh task queue; lets
    /// <paramref name="during"/> act on it; returns how it ended and its final progress. The recorded history must also
    /// replay cleanly against the current code.
    /// </summary>
    private async Task<(ElevationStatus? Result, ElevationProgress Progress)> RunAsync(
        StandInGrant activities, TimeSpan decideWithin, Func<WorkflowHandle<RootElevationWorkflow, ElevationStatus?>, CancellationToken, Task> during)
    {
        var client = temporal.Client;
        var ct = TestContext.Current.CancellationToken;
        var input = new ElevationInput(Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), DateTime.UtcNow + decideWithin);
        var options = new TemporalWorkerOptions($"elevation-{Guid.NewGuid():N}")
            .AddWorkflow<RootElevationWorkflow>()
            .AddAllActivities(activities);
        using var worker = new TemporalWorker(client, options);

        return await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync(
                (RootElevationWorkflow wf) => wf.RunAsync(input),
                new(ElevationInput.WorkflowId(input.GrantId), options.TaskQueue!) { ExecutionTimeout = Limit + decideWithin });
            await during(handle, ct);
            var result = await handle.GetResultAsync().WaitAsync(Limit + decideWithin, ct);
            var progress = await handle.QueryAsync(wf => wf.Progress);

            var replay = await Replay.RunAsync<RootElevationWorkflow>(await handle.FetchHistoryAsync());
            Assert.Null(replay.Failure);
            Assert.Equal(result, replay.Result);
            return (result, progress);
        }, ct);
    }

    /// <summary>Polls the workflow's own view until it reaches <paramref name="phase"/>, within the test's limit.</summary>
    private static async Task WaitForPhaseAsync(WorkflowHandle<RootElevationWorkflow, ElevationStatus?> handle, ElevationPhase phase, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        while ((await handle.QueryAsync(wf => wf.Progress)).Phase != phase)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), limit.Token);
        }
    }

    /// <summary>The grant's activities' names and signatures, with no database or host behind them: they record each call.</summary>
    private sealed class StandInGrant
    {
        private readonly ConcurrentQueue<string> _calls = new();

        /// <summary>What the deadline's activity finds on the stream: a decision whose signal was lost, or still pending.</summary>
        public ElevationStatus FoundAtDeadline { get; init; } = ElevationStatus.Pending;

        public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(30);

        public IReadOnlyList<string> Calls => [.. _calls];

        [Activity("RootElevation.ExpirePending")]
        public Task<GrantState> ExpirePendingAsync(ElevationInput input)
        {
            _calls.Enqueue("ExpirePending");
            return Task.FromResult(new GrantState(FoundAtDeadline == ElevationStatus.Pending ? ElevationStatus.Expired : FoundAtDeadline));
        }

        [Activity("RootElevation.Activate")]
        public Task<GrantState> ActivateAsync(ElevationInput input)
        {
            _calls.Enqueue("Activate");
            return Task.FromResult(new GrantState(ElevationStatus.Active, DateTime.UtcNow + Window));
        }

        [Activity("RootElevation.AbandonActivation")]
        public Task<GrantState> AbandonActivationAsync(ElevationInput input)
        {
            _calls.Enqueue("AbandonActivation");
            return Task.FromResult(new GrantState(ElevationStatus.ClosedOut));
        }

        [Activity("RootElevation.CloseOut")]
        public Task<GrantState> CloseOutAsync(ElevationInput input, string? policyDisabledBy)
        {
            _calls.Enqueue($"CloseOut:{policyDisabledBy}");
            return Task.FromResult(new GrantState(ElevationStatus.ClosedOut));
        }

        [Activity("RootElevation.EndForDisabledPolicy")]
        public Task<GrantState> EndForDisabledPolicyAsync(ElevationInput input, string actor)
        {
            _calls.Enqueue($"EndForDisabledPolicy:{actor}");
            return Task.FromResult(new GrantState(ElevationStatus.ClosedOut));
        }
    }
}
