using Temporalio.Common;
using Temporalio.Workflows;

namespace EnvForge.Workflows.DevLinks;

/// <summary>Input of a link's expiry workflow. Workflow id: <c>dev-link-{LinkId}</c>.</summary>
public sealed record DevLinkExpiryInput(Guid LinkId, DateTime ExpiresAt)
{
    public static string WorkflowId(Guid linkId) => $"dev-link-{linkId}";
}

/// <summary>
/// A dev link's expiry: a durable timer to its end, then the expired event. The gateway refuses an expired link by its
/// own clock whether or not this has run; the event is the record. A revoke (recorded by the API) ends the wait early.
/// </summary>
[Workflow]
public sealed class DevLinkExpiryWorkflow
{
    private bool _revoked;

    private static readonly ActivityOptions Record = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    /// <summary>True when the link expired here; false when it was revoked first.</summary>
    [WorkflowRun]
    public async Task<bool> RunAsync(DevLinkExpiryInput input)
    {
        var remaining = input.ExpiresAt - Workflow.UtcNow;
        if (remaining > TimeSpan.Zero && await Workflow.WaitConditionAsync(() => _revoked, remaining))
        {
            return false;
        }

        return await Workflow.ExecuteActivityAsync((DevLinkActivities a) => a.ExpireAsync(input.LinkId), Record);
    }

    [WorkflowSignal]
    public Task RevokedAsync()
    {
        _revoked = true;
        return Task.CompletedTask;
    }
}
