using EnvForge.Workflows.Infrastructure;

namespace EnvForge.Workflows.DevLinks;

/// <summary>How the API drives a dev link's expiry workflow.</summary>
public interface IDevLinkWorkflows
{
    /// <summary>Null when workflows can run; otherwise a reason safe to show the caller (the endpoint answers 503).</summary>
    string? UnavailableReason { get; }

    /// <summary>Starts a link's expiry timer; a retried start is a no-op.</summary>
    Task StartExpiryAsync(DevLinkExpiryInput input, CancellationToken ct);

    /// <summary>Ends a revoked link's expiry timer early (the revoke itself is already recorded and enforced).</summary>
    Task RevokedAsync(Guid linkId, CancellationToken ct);
}

/// <summary>The Temporal implementation: the workflow id derives from the link id (<c>dev-link-{linkId}</c>).</summary>
public sealed class DevLinkWorkflows(TemporalRuntime temporal) : IDevLinkWorkflows
{
    public string? UnavailableReason => temporal.WhyUnavailable;

    public Task StartExpiryAsync(DevLinkExpiryInput input, CancellationToken ct) =>
        temporal.StartOnceAsync((DevLinkExpiryWorkflow wf) => wf.RunAsync(input), DevLinkExpiryInput.WorkflowId(input.LinkId), ct);

    public Task RevokedAsync(Guid linkId, CancellationToken ct) =>
        temporal.SignalAsync<DevLinkExpiryWorkflow>(DevLinkExpiryInput.WorkflowId(linkId), wf => wf.RevokedAsync(), ct);
}
