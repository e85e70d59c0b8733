using EnvForge.Domain.Workspaces;
using Temporalio.Common;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// A workspace's runtime: asleep until something needs it, awake while there is activity, asleep again after the
/// org's idle timeout. Wake triggers (dev URL, test, service command, agent job) and activity heartbeats arrive as
/// signals; sleeping stops the services (and so the meter) but never touches who may authenticate.
/// </summary>
[Workflow]
public sealed class WorkspaceRuntimeWorkflow
{
    /// <summary>Keeps history bounded: after this many wake/sleep cycles the workflow continues as new.</summary>
    public const int CyclesPerRun = 50;

    private readonly Queue<WakeTrigger> _wakeRequests = new();
    private bool _activity;
    private string? _sleepRequestedBy;
    private int _cycles;
    private DateTime? _lastActivity;
    private WakeTrigger? _lastTrigger;
    private bool _awake;

    private static readonly ActivityOptions Io = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(5),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2 },
    };

    [WorkflowRun]
    public async Task RunAsync(RuntimeInput input)
    {
        while (_cycles < CyclesPerRun)
        {
            await Workflow.WaitConditionAsync(() => _wakeRequests.Count > 0);
            var trigger = _wakeRequests.Dequeue();
            _wakeRequests.Clear(); // every request queued while asleep is served by this one wake

            var woke = await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.WakeAsync(input, trigger), Io);
            if (!woke)
            {
                continue; // refused (for example the wallet cannot pay); stay asleep
            }

            _awake = true;
            _lastTrigger = trigger;
            _lastActivity = Workflow.UtcNow;
            var reason = await StayAwakeAsync(input.IdleTimeout);

            await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.SleepAsync(input, reason), Io);
            _awake = false;
            _cycles++;
        }

        throw Workflow.CreateContinueAsNewException((WorkspaceRuntimeWorkflow wf) => wf.RunAsync(input));
    }

    /// <summary>Returns why the workspace goes to sleep: the idle timeout, or an explicit request.</summary>
    private async Task<string> StayAwakeAsync(TimeSpan idleTimeout)
    {
        while (true)
        {
            _activity = false;
            _wakeRequests.Clear(); // already awake: wake requests count as activity
            var stirred = await Workflow.WaitConditionAsync(() => _activity || _wakeRequests.Count > 0 || _sleepRequestedBy is not null, idleTimeout);
            if (_sleepRequestedBy is { } actor)
            {
                _sleepRequestedBy = null;
                return $"requested by {actor}";
            }

            if (!stirred)
            {
                return "idle";
            }

            _lastActivity = Workflow.UtcNow;
        }
    }

    /// <summary>Something needs the workspace (dev URL traffic, a test run, a service command, an agent job).</summary>
    [WorkflowSignal]
    public Task WakeAsync(WakeTrigger trigger)
    {
        _wakeRequests.Enqueue(trigger);
        return Task.CompletedTask;
    }

    /// <summary>Activity on an awake workspace: resets the idle timer.</summary>
    [WorkflowSignal]
    public Task HeartbeatAsync()
    {
        _activity = true;
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task SleepAsync(string actor)
    {
        if (_awake)
        {
            _sleepRequestedBy = actor;
        }

        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public RuntimeStatus Status => new(_awake, _lastTrigger, _lastActivity, _cycles);
}
