using EnvForge.Domain.DevLinks;
using EnvForge.Workflows.Hosting;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace EnvForge.Workflows.DevLinks;

public sealed class DevLinkActivities(IDocumentStore store, TimeProvider time)
{
    public const string Actor = "system:dev-links";

    /// <summary>Appends the expired event once; a link revoked (or expired) already changes nothing. True when it expired here.</summary>
    [Activity("DevLink.Expire")]
    public async Task<bool> ExpireAsync(Guid linkId)
    {
        var ct = ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<DevLink>(linkId, ct);
        if (stream.Aggregate is not { } link)
        {
            return false; // issue never recorded: nothing to expire
        }

        var decision = DevLinkDecider.Decide(new ExpireDevLink(linkId, Actor, time.GetUtcNow()), link);
        if (decision.Rejection is { } rejection)
        {
            // "not yet due": the timer and this clock differ by a moment; the retry fixes it.
            throw new ApplicationFailureException(rejection.Message, rejection.Code, nonRetryable: rejection.Code != "dev_link.not_yet_due");
        }

        if (decision.Events.Count == 0)
        {
            return false;
        }

        stream.AppendMany(decision.Events);
        await session.SaveChangesAsync(ct);
        return true;
    }
}

public sealed class DevLinkWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<DevLinkExpiryWorkflow>()
        .AddAllActivities(services.GetRequiredService<DevLinkActivities>());
}
