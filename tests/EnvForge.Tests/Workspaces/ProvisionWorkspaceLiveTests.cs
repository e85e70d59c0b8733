using System.Collections.Concurrent;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure.Temporal;
using EnvForge.Workflows.Workspaces;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace EnvForge.Tests.Workspaces;

/// <summary>
/// The provisioning workflow run for real on a live Temporal server (see <see cref="TemporalServer"/>), with stand-in
/// activities registered under the same names. Each test has its own task queue and workflow id. Skipped, with the
/// reason, where no server is reachable.
/// </summary>
public sealed class ProvisionWorkspaceLiveTests(TemporalServer temporal) : IClassFixture<TemporalServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Provisions_to_ready_on_a_live_server()
    {
        var activities = new StandInProvisioning();

        var (result, status) = await RunAsync(activities, (_, _) => Task.CompletedTask);

        Assert.Equal(new ProvisionWorkspaceResult(ProvisionOutcome.Ready, null, null), result);
        Assert.Equal(["Start", "AssumeRole", "ApplyTerraform", "Verify"], activities.Calls);
        Assert.Equal(new ProvisionWorkspaceStatus(ProvisioningStep.Verify, ProvisionOutcome.Ready, null, null), status);
    }

    [Fact]
    public async Task A_failed_terraform_apply_is_recorded_and_destroyed_on_a_live_server()
    {
        var activities = new StandInProvisioning { FailAt = ProvisioningStep.Terraform };

        var (result, _) = await RunAsync(activities, (_, _) => Task.CompletedTask);

        Assert.Equal(new ProvisionWorkspaceResult(ProvisionOutcome.Failed, ProvisioningStep.Terraform, StandInProvisioning.FailureMessage), result);
        Assert.Equal(["Start", "AssumeRole", "ApplyTerraform", $"Fail:Terraform:{StandInProvisioning.FailureMessage}", "Destroy"], activities.Calls);
    }

    [Fact]
    public async Task Cancel_during_terraform_stops_the_apply_then_records_and_destroys_on_a_live_server()
    {
        var activities = new StandInProvisioning { HoldTerraformUntilCancelled = true };

        var (result, status) = await RunAsync(activities, async (handle, ct) =>
        {
            await activities.TerraformStarted.Task.WaitAsync(Deadline, ct);
            Assert.Equal(ProvisioningStep.Terraform, (await handle.QueryAsync(wf => wf.Status)).CurrentStep);
            await handle.SignalAsync(wf => wf.CancelAsync("owner@acme.test"));
        });

        Assert.Equal(new ProvisionWorkspaceResult(ProvisionOutcome.Cancelled, null, "cancelled by owner@acme.test"), result);
        Assert.True(activities.TerraformSawCancel, "the apply in flight was not cancelled");
        Assert.Equal(["Start", "AssumeRole", "ApplyTerraform", "Cancel:owner@acme.test", "Destroy"], activities.Calls);
        Assert.Equal(ProvisionOutcome.Cancelled, status.Outcome);
    }

    /// <summary>
    /// Runs one workflow on a fresh task queue, lets <paramref name="during"/> act on it while it runs, and returns its
    /// result and final status. The recorded history must also replay cleanly against the current code.
    /// </summary>
    private async Task<(ProvisionWorkspaceResult Result, ProvisionWorkspaceStatus Status)> RunAsync(
        StandInProvisioning activities, Func<WorkflowHandle<ProvisionWorkspaceWorkflow, ProvisionWorkspaceResult>, CancellationToken, Task> during)
    {
        var client = temporal.Client;
        var ct = TestContext.Current.CancellationToken;
        var input = new ProvisionWorkspaceInput(Guid.CreateVersion7(), Guid.CreateVersion7(), "dev@acme.test");
        var options = new TemporalWorkerOptions($"provision-{Guid.NewGuid():N}")
        {
            // Heartbeats carry the cancel request to the activity: send them promptly rather than up to a minute apart.
            MaxHeartbeatThrottleInterval = TimeSpan.FromSeconds(1),
            DefaultHeartbeatThrottleInterval = TimeSpan.FromSeconds(1),
        }
            .AddWorkflow<ProvisionWorkspaceWorkflow>()
            .AddAllActivities(activities);
        using var worker = new TemporalWorker(client, options);

        return await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync(
                (ProvisionWorkspaceWorkflow wf) => wf.RunAsync(input),
                new(ProvisionWorkspaceInput.WorkflowId(input.WorkspaceId), options.TaskQueue!) { ExecutionTimeout = Deadline });
            await during(handle, ct);
            var result = await handle.GetResultAsync().WaitAsync(Deadline, ct);
            var status = await handle.QueryAsync(wf => wf.Status);

            var replay = await Replay.RunAsync<ProvisionWorkspaceWorkflow>(await handle.FetchHistoryAsync());
            Assert.Null(replay.Failure);
            return (result, status);
        }, ct);
    }

    /// <summary>The provisioning activities' names and signatures, with no AWS, terraform or database behind them.</summary>
    private sealed class StandInProvisioning
    {
        public const string FailureMessage = "terraform apply failed: stand-in refusal";

        private readonly ConcurrentQueue<string> _calls = new();

        public ProvisioningStep? FailAt { get; init; }

        public bool HoldTerraformUntilCancelled { get; init; }

        public TaskCompletionSource TerraformStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TerraformSawCancel { get; private set; }

        public IReadOnlyList<string> Calls => [.. _calls];

        [Activity("WorkspaceProvisioning.Start")]
        public Task StartAsync(ProvisionWorkspaceInput input)
        {
            _calls.Enqueue("Start");
            return Task.CompletedTask;
        }

        [Activity("WorkspaceProvisioning.AssumeRole")]
        public Task<RoleCheck> AssumeRoleAsync(ProvisionWorkspaceInput input)
        {
            Step("AssumeRole", ProvisioningStep.AssumeRole);
            return Task.FromResult(new RoleCheck($"envforge-{input.WorkspaceId:N}", DateTimeOffset.UtcNow.AddHours(1)));
        }

        [Activity("WorkspaceProvisioning.ApplyTerraform")]
        public async Task<TerraformApplied> ApplyTerraformAsync(ProvisionWorkspaceInput input)
        {
            Step("ApplyTerraform", ProvisioningStep.Terraform);
            if (HoldTerraformUntilCancelled)
            {
                TerraformStarted.TrySetResult();
                var context = ActivityExecutionContext.Current;
                try
                {
                    while (true)
                    {
                        context.Heartbeat("applying");
                        await Task.Delay(TimeSpan.FromMilliseconds(200), context.CancellationToken);
                    }
                }
                catch (OperationCanceledException)
                {
                    TerraformSawCancel = true;
                    throw;
                }
            }

            return new TerraformApplied(["i-0standin"], "eu-west-1", "Apply complete! Resources: 1 added.");
        }

        [Activity("WorkspaceProvisioning.Verify")]
        public Task<Verified> VerifyAsync(ProvisionWorkspaceInput input, TerraformApplied applied)
        {
            Step("Verify", ProvisioningStep.Verify);
            return Task.FromResult(new Verified([$"ec2: {applied.InstanceIds[0]} running"]));
        }

        [Activity("WorkspaceProvisioning.Fail")]
        public Task FailAsync(ProvisionWorkspaceInput input, ProvisioningStep step, string reason)
        {
            _calls.Enqueue($"Fail:{step}:{reason}");
            return Task.CompletedTask;
        }

        [Activity("WorkspaceProvisioning.Cancel")]
        public Task CancelAsync(ProvisionWorkspaceInput input, string actor)
        {
            _calls.Enqueue($"Cancel:{actor}");
            return Task.CompletedTask;
        }

        [Activity("WorkspaceProvisioning.Destroy")]
        public Task DestroyAsync(ProvisionWorkspaceInput input)
        {
            _calls.Enqueue("Destroy");
            return Task.CompletedTask;
        }

        private void Step(string name, ProvisioningStep step)
        {
            _calls.Enqueue(name);
            if (FailAt == step)
            {
                throw new ApplicationFailureException(step == ProvisioningStep.Terraform ? FailureMessage : $"{step} failed: stand-in refusal", "stand_in", nonRetryable: true);
            }
        }
    }
}
