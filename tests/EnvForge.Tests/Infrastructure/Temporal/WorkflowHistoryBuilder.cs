using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;
using WorkflowTaskCompletedMetadata = Temporalio.Api.Sdk.V1.WorkflowTaskCompletedMetadata;

namespace EnvForge.Tests.Infrastructure.Temporal;

/// <summary>
/// Builds the history a Temporal server would have recorded, event by event, for <c>WorkflowReplayer</c>: the real
/// workflow code then runs in the real SDK core and every command it issues is checked against these events.
/// </summary>
/// <remarks>
/// Event ids and the <c>*_event_id</c> references between events are kept consistent. Activity and timer ids follow
/// the .NET SDK's own numbering (1, 2, 3... in the order the workflow schedules them), and arguments, results and
/// failures go through the SDK's default data converter, so they read exactly as the workflow reads them.
/// Activity events refer to the most recently scheduled activity unless an <c>activityId</c> is given (likewise timers).
/// </remarks>
public sealed class WorkflowHistoryBuilder
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    private readonly List<HistoryEvent> _events = [];
    private readonly Dictionary<string, (long Scheduled, long? Started, long? CancelRequested)> _activities = [];
    private readonly Dictionary<string, (long Started, TimeSpan Fires)> _timers = [];
    private string _taskQueue = "";
    private string? _lastActivityId;
    private string? _lastTimerId;
    private long _lastWorkflowTaskCompleted;
    private TimeSpan _clock;

    public static IPayloadConverter PayloadConverter => DataConverter.Default.PayloadConverter;

    /// <summary>Time of the first event; every later event is one second after the one before, unless a timer fires later.</summary>
    public static DateTimeOffset StartTime => Epoch;

    public WorkflowHistoryBuilder Started<TWorkflow>(string taskQueue, params object?[] input) =>
        Started(WorkflowDefinition.Create<TWorkflow>().Name ?? throw new ArgumentException("a dynamic workflow has no type name"), taskQueue, input);

    public WorkflowHistoryBuilder Started(string workflowType, string taskQueue, params object?[] input)
    {
        if (_events.Count > 0)
        {
            throw new InvalidOperationException("WorkflowExecutionStarted is the first event of a history");
        }

        _taskQueue = taskQueue;
        var runId = "00000000-0000-4000-8000-000000000001";
        Add(EventType.WorkflowExecutionStarted, e => e.WorkflowExecutionStartedEventAttributes = new()
        {
            WorkflowType = new() { Name = workflowType },
            TaskQueue = Queue(),
            Input = Payloads(input),
            WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            Attempt = 1,
            OriginalExecutionRunId = runId,
            FirstExecutionRunId = runId,
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>
    /// <c>Workflow.UtcNow</c> in the last workflow task: the time its WorkflowTaskStarted event was recorded. A workflow
    /// that waits until an instant starts a timer for that instant minus this.
    /// </summary>
    public DateTimeOffset WorkflowTaskTime { get; private set; }

    /// <summary>A workflow task scheduled, started and completed: the worker ran the workflow and sent its commands.</summary>
    public WorkflowHistoryBuilder WorkflowTask()
    {
        var scheduled = Add(EventType.WorkflowTaskScheduled, e => e.WorkflowTaskScheduledEventAttributes = new()
        {
            TaskQueue = Queue(),
            StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            Attempt = 1,
        });
        WorkflowTaskTime = Epoch + _clock;
        var started = Add(EventType.WorkflowTaskStarted, e => e.WorkflowTaskStartedEventAttributes = new()
        {
            ScheduledEventId = scheduled,
            Identity = "history-builder",
            RequestId = $"request-{scheduled}",
        });
        var first = _lastWorkflowTaskCompleted == 0;
        _lastWorkflowTaskCompleted = Add(EventType.WorkflowTaskCompleted, e => e.WorkflowTaskCompletedEventAttributes = new()
        {
            ScheduledEventId = scheduled,
            StartedEventId = started,
            Identity = "history-builder",
            SdkMetadata = first ? CurrentWorkerFlags() : null,
        });
        return this;
    }

    /// <summary>The activity the last workflow task scheduled. Its type is the SDK's name for it (a method's name without "Async").</summary>
    public WorkflowHistoryBuilder ActivityScheduled(string activityType, params object?[] input)
    {
        var activityId = (_activities.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var scheduled = Add(EventType.ActivityTaskScheduled, e => e.ActivityTaskScheduledEventAttributes = new()
        {
            ActivityId = activityId,
            ActivityType = new() { Name = activityType },
            TaskQueue = Queue(),
            Input = Payloads(input),
            StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)),
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
        });
        _activities[activityId] = (scheduled, null, null);
        _lastActivityId = activityId;
        return this;
    }

    public WorkflowHistoryBuilder ActivityStarted(string? activityId = null)
    {
        var id = ActivityId(activityId);
        var activity = _activities[id];
        var started = Add(EventType.ActivityTaskStarted, e => e.ActivityTaskStartedEventAttributes = new()
        {
            ScheduledEventId = activity.Scheduled,
            Attempt = 1,
            Identity = "history-builder",
            RequestId = $"request-{activity.Scheduled}",
        });
        _activities[id] = activity with { Started = started };
        return this;
    }

    /// <summary>The activity returned <paramref name="result"/>; null for an activity that returns no value.</summary>
    public WorkflowHistoryBuilder ActivityCompleted(object? result = null, string? activityId = null)
    {
        var activity = StartedActivity(activityId);
        Add(EventType.ActivityTaskCompleted, e => e.ActivityTaskCompletedEventAttributes = new()
        {
            Result = result is null ? null : Payloads(result),
            ScheduledEventId = activity.Scheduled,
            StartedEventId = activity.Started,
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>
    /// The activity failed for good (retries spent, or a non-retryable failure) with <paramref name="failure"/>, for example
    /// an <see cref="ApplicationFailureException"/> as the activity threw it.
    /// </summary>
    public WorkflowHistoryBuilder ActivityFailed(Exception failure, string? activityId = null)
    {
        var activity = StartedActivity(activityId);
        Add(EventType.ActivityTaskFailed, e => e.ActivityTaskFailedEventAttributes = new()
        {
            Failure = ToFailure(failure),
            ScheduledEventId = activity.Scheduled,
            StartedEventId = activity.Started,
            RetryState = failure is ApplicationFailureException { NonRetryable: true } ? RetryState.NonRetryableFailure : RetryState.MaximumAttemptsReached,
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>The last workflow task asked the server to cancel the activity.</summary>
    public WorkflowHistoryBuilder ActivityCancelRequested(string? activityId = null)
    {
        var id = ActivityId(activityId);
        var activity = _activities[id];
        var requested = Add(EventType.ActivityTaskCancelRequested, e => e.ActivityTaskCancelRequestedEventAttributes = new()
        {
            ScheduledEventId = activity.Scheduled,
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
        });
        _activities[id] = activity with { CancelRequested = requested };
        return this;
    }

    /// <summary>The activity confirmed the cancellation (it saw the request in a heartbeat response and stopped).</summary>
    public WorkflowHistoryBuilder ActivityCanceled(string? activityId = null)
    {
        var activity = _activities[ActivityId(activityId)];
        if (activity.CancelRequested is not { } requested)
        {
            throw new InvalidOperationException("an activity is canceled only after its cancellation was requested");
        }

        Add(EventType.ActivityTaskCanceled, e => e.ActivityTaskCanceledEventAttributes = new()
        {
            ScheduledEventId = activity.Scheduled,
            StartedEventId = activity.Started ?? 0,
            LatestCancelRequestedEventId = requested,
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>A signal; its name is the SDK's (a <c>[WorkflowSignal]</c> method's name without "Async").</summary>
    public WorkflowHistoryBuilder Signaled(string signalName, params object?[] args)
    {
        Add(EventType.WorkflowExecutionSignaled, e => e.WorkflowExecutionSignaledEventAttributes = new()
        {
            SignalName = signalName,
            Input = Payloads(args),
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>The last workflow task started a timer (<c>Workflow.DelayAsync</c>, or a <c>WaitConditionAsync</c> with a timeout).</summary>
    public WorkflowHistoryBuilder TimerStarted(TimeSpan duration)
    {
        var timerId = (_timers.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fires = _clock + duration;
        var started = Add(EventType.TimerStarted, e => e.TimerStartedEventAttributes = new()
        {
            TimerId = timerId,
            StartToFireTimeout = Duration.FromTimeSpan(duration),
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
        });
        _timers[timerId] = (started, fires);
        _lastTimerId = timerId;
        return this;
    }

    /// <summary>
    /// The last workflow task started a timer due at <paramref name="dueAtUtc"/>, as a workflow does that waits until an
    /// instant: its duration is what the workflow computed, <paramref name="dueAtUtc"/> minus its <c>Workflow.UtcNow</c>
    /// (<see cref="WorkflowTaskTime"/>).
    /// </summary>
    public WorkflowHistoryBuilder TimerStartedUntil(DateTime dueAtUtc)
    {
        var duration = dueAtUtc - WorkflowTaskTime.UtcDateTime;
        return duration > TimeSpan.Zero
            ? TimerStarted(duration)
            : throw new InvalidOperationException($"{dueAtUtc:O} is not after the last workflow task ({WorkflowTaskTime:O}): the workflow starts no timer");
    }

    /// <summary>The timer fired; the history's clock jumps to its due time.</summary>
    public WorkflowHistoryBuilder TimerFired(string? timerId = null)
    {
        var id = timerId ?? _lastTimerId ?? throw new InvalidOperationException("no timer was started");
        var timer = _timers[id];
        if (timer.Fires > _clock)
        {
            _clock = timer.Fires;
        }

        Add(EventType.TimerFired, e => e.TimerFiredEventAttributes = new() { TimerId = id, StartedEventId = timer.Started });
        return this;
    }

    /// <summary>The last workflow task cancelled a timer (a <c>WaitConditionAsync</c> whose condition came true before its timeout).</summary>
    public WorkflowHistoryBuilder TimerCanceled(string? timerId = null)
    {
        var id = timerId ?? _lastTimerId ?? throw new InvalidOperationException("no timer was started");
        var timer = _timers[id];
        Add(EventType.TimerCanceled, e => e.TimerCanceledEventAttributes = new()
        {
            TimerId = id,
            StartedEventId = timer.Started,
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
            Identity = "history-builder",
        });
        return this;
    }

    /// <summary>
    /// The last workflow task took a patched branch (<c>Workflow.Patched(patchId)</c> returned true): the SDK core's patch
    /// marker, then (as a current worker does) the <c>TemporalChangeVersion</c> search attribute naming the patch.
    /// </summary>
    public WorkflowHistoryBuilder Patched(string patchId)
    {
        Add(EventType.MarkerRecorded, e => e.MarkerRecordedEventAttributes = new()
        {
            MarkerName = "core_patch",
            Details =
            {
                ["patch_id"] = new Payloads { Payloads_ = { new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8(patchId) } } },
                ["deprecated"] = new Payloads { Payloads_ = { new Payload { Data = Google.Protobuf.ByteString.CopyFrom(0) } } },
            },
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
        });
        var changeVersion = PayloadConverter.ToPayload(new[] { patchId });
        changeVersion.Metadata["type"] = Google.Protobuf.ByteString.CopyFromUtf8("KeywordList");
        Add(EventType.UpsertWorkflowSearchAttributes, e => e.UpsertWorkflowSearchAttributesEventAttributes = new()
        {
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
            SearchAttributes = new() { IndexedFields = { ["TemporalChangeVersion"] = changeVersion } },
        });
        return this;
    }

    /// <summary>The last workflow task completed the workflow with <paramref name="result"/>.</summary>
    public WorkflowHistoryBuilder Completed(object? result)
    {
        Add(EventType.WorkflowExecutionCompleted, e => e.WorkflowExecutionCompletedEventAttributes = new()
        {
            Result = Payloads(result),
            WorkflowTaskCompletedEventId = _lastWorkflowTaskCompleted,
        });
        return this;
    }

    public WorkflowHistory Build(string workflowId) => new(workflowId, _events.Select(e => e.Clone()).ToList());

    /// <summary>
    /// What a current .NET worker records on a workflow's first task. Replay applies only the checks and logic whose
    /// flags the history records: without these, activity type and id mismatches pass unnoticed (core flag 1) and the
    /// SDK replays with its legacy event loop (lang flag 2), unlike the live worker.
    /// </summary>
    private static WorkflowTaskCompletedMetadata CurrentWorkerFlags() => new()
    {
        CoreUsedFlags = { 1, 2, 3 }, // IdAndTypeDeterminismChecks, UpsertSearchAttributeOnPatch, MoveTerminalCommands
        LangUsedFlags = { 2 }, // ApplyModernEventLoopLogic
        SdkName = "temporal-dotnet",
        SdkVersion = typeof(Workflow).Assembly.GetName().Version?.ToString(3) ?? "",
    };

    private static Payloads Payloads(params object?[] values) => new() { Payloads_ = { values.Select(PayloadConverter.ToPayload) } };

    private static Failure ToFailure(Exception exception) => DataConverter.Default.FailureConverter.ToFailure(exception, PayloadConverter);

    private TaskQueue Queue() => new() { Name = _taskQueue, Kind = TaskQueueKind.Normal };

    private string ActivityId(string? activityId) =>
        activityId ?? _lastActivityId ?? throw new InvalidOperationException("no activity was scheduled");

    private (long Scheduled, long Started) StartedActivity(string? activityId)
    {
        var activity = _activities[ActivityId(activityId)];
        return activity.Started is { } started
            ? (activity.Scheduled, started)
            : throw new InvalidOperationException("the activity must be started (ActivityStarted) before it completes or fails");
    }

    private long Add(EventType type, Action<HistoryEvent> attributes)
    {
        if (_events.Count == 0 && type != EventType.WorkflowExecutionStarted)
        {
            throw new InvalidOperationException("a history begins with Started(...)");
        }

        var historyEvent = new HistoryEvent
        {
            EventId = _events.Count + 1,
            EventType = type,
            EventTime = Timestamp.FromDateTimeOffset(Epoch + _clock),
            TaskId = _events.Count + 1,
        };
        attributes(historyEvent);
        _events.Add(historyEvent);
        _clock += TimeSpan.FromSeconds(1);
        return historyEvent.EventId;
    }
}
