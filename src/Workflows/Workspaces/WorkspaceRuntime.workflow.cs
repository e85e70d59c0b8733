using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Wallet;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// A workspace's runtime: asleep until something needs it, awake while there is activity, asleep again after the
/// org's idle timeout. Wake triggers (dev URL, test, service command, agent job) and activity heartbeats arrive as
/// signals; sleeping stops the services (and so the meter) but never touches who may authenticate. Awake time is paid
/// from the org's wallet ahead, block by block (<see cref="RuntimeMeterActivities"/>): a wallet that cannot pay puts the
/// workspace to sleep.
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

    /// <summary>The patch that introduced the wallet's meter (README, "Wallet: the meter"): histories before it replay unmetered.</summary>
    public const string MeterPatch = "wallet-meter";

    /// <summary>Why a metered workspace went to sleep when its wallet could not pay for more runtime.</summary>
    public const string BalanceExhausted = "wallet balance exhausted";

    private static readonly ActivityOptions Meter = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 10, InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromSeconds(30) },
    };

    private static readonly ActivityOptions Io = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(5),
        RetryPolicy = new RetryPolicy { MaximumAttempts = 5, InitialInterval = TimeSpan.FromSeconds(2), BackoffCoefficient = 2 },
    };

    [WorkflowRun]
    public async Task RunAsync(RuntimeInput input)
    {
        // Runs recorded before the meter existed carry no marker and replay unmetered, as they ran; every run since is metered.
        var metered = Workflow.Patched(MeterPatch);
        while (_cycles < CyclesPerRun)
        {
            await Workflow.WaitConditionAsync(() => _wakeRequests.Count > 0);
            var trigger = _wakeRequests.Dequeue();
            _wakeRequests.Clear(); // every request queued while asleep is served by this one wake

            if (!await (metered ? MeteredCycleAsync(input, trigger) : UnmeteredCycleAsync(input, trigger)))
            {
                continue; // refused (for example the wallet cannot pay); stay asleep
            }

            _awake = false;
            _cycles++;
        }

        throw Workflow.CreateContinueAsNewException((WorkspaceRuntimeWorkflow wf) => wf.RunAsync(input));
    }

    /// <summary>The cycle as it ran before the meter: wake, stay awake, sleep. False when the wake was refused.</summary>
    private async Task<bool> UnmeteredCycleAsync(RuntimeInput input, WakeTrigger trigger)
    {
        var woke = await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.WakeAsync(input, trigger), Io);
        if (!woke)
        {
            return false;
        }

        _awake = true;
        _lastTrigger = trigger;
        _lastActivity = Workflow.UtcNow;
        var reason = await StayAwakeAsync(input.IdleTimeout);

        await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.SleepAsync(input, reason), Io);
        return true;
    }

    /// <summary>
    /// A metered cycle: pay for the first block before anything starts (a wallet that cannot pay one minute wakes nothing),
    /// wake, stay awake while there is activity and the next block is paid, sleep, then settle the period (started minutes
    /// charged, the rest returned). False when the wake was refused.
    /// </summary>
    private async Task<bool> MeteredCycleAsync(RuntimeInput input, WakeTrigger trigger)
    {
        var start = Workflow.UtcNow;
        var block = await Workflow.ExecuteActivityAsync((RuntimeMeterActivities a) => a.BuyRuntimeAsync(input, start, start), Meter);
        if (!block.Granted)
        {
            return false;
        }

        bool woke;
        try
        {
            woke = await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.WakeAsync(input, trigger), Io);
        }
        catch (ActivityFailureException)
        {
            await Workflow.ExecuteActivityAsync((RuntimeMeterActivities a) => a.SettleRuntimeAsync(input, start, start), Meter);
            throw;
        }

        if (!woke)
        {
            await Workflow.ExecuteActivityAsync((RuntimeMeterActivities a) => a.SettleRuntimeAsync(input, start, start), Meter);
            return false;
        }

        _awake = true;
        _lastTrigger = trigger;
        _lastActivity = Workflow.UtcNow;
        var reason = await StayAwakeMeteredAsync(input, start, block.PaidUntil);

        await Workflow.ExecuteActivityAsync((RuntimeActivities a) => a.SleepAsync(input, reason), Io);
        var end = Workflow.UtcNow;
        await Workflow.ExecuteActivityAsync((RuntimeMeterActivities a) => a.SettleRuntimeAsync(input, start, end), Meter);
        return true;
    }

    /// <summary>
    /// Like <see cref="StayAwakeAsync"/>, and when the paid block ends before the idle timeout, pays for the next one; a
    /// wallet that cannot pay one more minute ends the period (<see cref="BalanceExhausted"/>).
    /// </summary>
    private async Task<string> StayAwakeMeteredAsync(RuntimeInput input, DateTime periodStart, DateTime paidUntil)
    {
        var idleAt = Workflow.UtcNow + input.IdleTimeout;
        while (true)
        {
            _activity = false;
            _wakeRequests.Clear(); // already awake: wake requests count as activity
            var until = idleAt < paidUntil ? idleAt : paidUntil;
            var wait = until - Workflow.UtcNow;
            var stirred = wait > TimeSpan.Zero
                && await Workflow.WaitConditionAsync(() => _activity || _wakeRequests.Count > 0 || _sleepRequestedBy is not null, wait);
            if (_sleepRequestedBy is { } actor)
            {
                _sleepRequestedBy = null;
                return $"requested by {actor}";
            }

            if (stirred)
            {
                _lastActivity = Workflow.UtcNow;
                idleAt = Workflow.UtcNow + input.IdleTimeout;
                continue;
            }

            if (Workflow.UtcNow >= idleAt)
            {
                return "idle";
            }

            var from = paidUntil;
            var next = await Workflow.ExecuteActivityAsync((RuntimeMeterActivities a) => a.BuyRuntimeAsync(input, periodStart, from), Meter);
            if (!next.Granted)
            {
                return BalanceExhausted;
            }

            paidUntil = next.PaidUntil;
        }
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
