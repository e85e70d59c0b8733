using System.Linq.Expressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Temporalio.Worker;

namespace EnvForge.Workflows.Infrastructure;

public enum TemporalState
{
    Connecting,
    Available,
    Unavailable,
}

/// <summary>
/// Contributes workflows and activities to the in-process worker. Each capability registers one; the runtime
/// builds a single worker on EnvForge's task queue from all of them.
/// </summary>
public interface IWorkerRegistration
{
    void Register(TemporalWorkerOptions options, IServiceProvider services);
}

/// <summary>
/// Owns EnvForge's connection to Temporal. The API starts whether or not a server can be had: the health endpoint
/// reports the state, and workflow-backed endpoints ask <see cref="Client"/> and answer 503 when it is null.
/// </summary>
public sealed partial class TemporalRuntime(
    IOptions<TemporalOptions> options,
    IEnumerable<IWorkerRegistration> registrations,
    IServiceProvider services,
    ILogger<TemporalRuntime> logger) : BackgroundService
{
    private readonly TemporalOptions _options = options.Value;
    private WorkflowEnvironment? _devServer;

    public TemporalState State { get; private set; } = TemporalState.Connecting;

    /// <summary>Why Temporal is unavailable, in words safe to show a caller (no addresses, no credentials).</summary>
    public string? UnavailableReason { get; private set; }

    public ITemporalClient? Client { get; private set; }

    public string TaskQueue => _options.TaskQueue;

    /// <summary>Null when workflows can run now; otherwise a reason safe to show the caller (endpoints answer 503 with it).</summary>
    public string? WhyUnavailable => Client is null ? UnavailableReason ?? "the connection to Temporal is still being established" : null;

    /// <summary>The connected client; throws when there is none (callers ask <see cref="WhyUnavailable"/> first).</summary>
    public ITemporalClient RequireClient() => Client ?? throw new InvalidOperationException(WhyUnavailable);

    /// <summary>Starts a workflow whose id derives from its stream; a retried request finds it running and does nothing.</summary>
    public async Task StartOnceAsync<TWorkflow, TResult>(Expression<Func<TWorkflow, Task<TResult>>> run, string workflowId, CancellationToken ct)
    {
        try
        {
            await RequireClient().StartWorkflowAsync(run, new WorkflowOptions(workflowId, TaskQueue)
            {
                IdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.RejectDuplicate,
                Rpc = new RpcOptions { CancellationToken = ct },
            });
        }
        catch (WorkflowAlreadyStartedException)
        {
            // A retried request: the workflow already runs.
        }
    }

    /// <summary>Signals a running workflow by its id.</summary>
    public Task SignalAsync<TWorkflow>(string workflowId, Expression<Func<TWorkflow, Task>> signal, CancellationToken ct) =>
        RequireClient().GetWorkflowHandle<TWorkflow>(workflowId)
            .SignalAsync(signal, new WorkflowSignalOptions { Rpc = new RpcOptions { CancellationToken = ct } });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Client = await ConnectAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        if (Client is null)
        {
            return;
        }

        State = TemporalState.Available;
        LogAvailable(logger, _options.Namespace, _options.TaskQueue);
        if (!_options.RunWorker)
        {
            return;
        }

        var workerOptions = new TemporalWorkerOptions(_options.TaskQueue);
        foreach (var registration in registrations)
        {
            registration.Register(workerOptions, services);
        }

        if (workerOptions.Workflows.Count == 0 && workerOptions.Activities.Count == 0)
        {
            return;
        }

        using var worker = new TemporalWorker(Client, workerOptions);
        try
        {
            await worker.ExecuteAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }

    private async Task<ITemporalClient?> ConnectAsync(CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(_options.Address))
        {
            try
            {
                return await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(_options.Address) { Namespace = _options.Namespace })
                    .WaitAsync(_options.ConnectTimeout, ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                LogConnectFailed(logger, ex.Message);
                MarkUnavailable("the configured Temporal server did not answer");
                return null;
            }
        }

        if (!_options.StartLocalDevServer)
        {
            MarkUnavailable("no Temporal server is configured (set TEMPORAL_ADDRESS)");
            return null;
        }

        try
        {
            _devServer = await WorkflowEnvironment.StartLocalAsync(new WorkflowEnvironmentStartLocalOptions { Namespace = _options.Namespace })
                .WaitAsync(_options.ConnectTimeout, ct);
            return _devServer.Client;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // The SDK downloads its dev server on first use; without internet that fails at once.
            LogConnectFailed(logger, ex.Message);
            MarkUnavailable("no Temporal server is configured (set TEMPORAL_ADDRESS) and the SDK could not start its local dev server");
            return null;
        }
    }

    private void MarkUnavailable(string reason)
    {
        State = TemporalState.Unavailable;
        UnavailableReason = reason;
        LogUnavailable(logger, reason);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_devServer is not null)
        {
            await _devServer.ShutdownAsync();
            await _devServer.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not reach or start Temporal: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Temporal available: namespace {Namespace}, task queue {TaskQueue}")]
    private static partial void LogAvailable(ILogger logger, string @namespace, string taskQueue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Temporal unavailable: {Reason}. Workflow-backed endpoints answer 503 until it is.")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
