using EnvForge.Domain.DevLinks;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Activities;
using Temporalio.Worker;

namespace EnvForge.Workflows.DevLinks;

public sealed class DevLinkActivities(IDocumentStore store, TimeProvider time)
{
    public const string Actor = "system:dev-links";

    /// <summary>Appends the expired event once; a link revoked (or expired) already changes nothing. True when it expired here.</summary>
    [Activity("DevLink.Expire")]
    public async Task<bool> ExpireAsync(Guid linkId)
    {
        // No stream: the issue was never recorded, so there is nothing to expire. "Not yet due": the timer and this clock
        // differ by a moment, and the retry fixes it.
        var outcome = await ActivityStreams.DecideAsync(store, DevLinkDecider.Decider, linkId,
            link => link is null ? null : new ExpireDevLink(linkId, Actor, time.GetUtcNow()), Actor, "dev_link.not_yet_due");
        return outcome.Changed;
    }
}

public sealed class DevLinkWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<DevLinkExpiryWorkflow>()
        .AddAllActivities(services.GetRequiredService<DevLinkActivities>());
}

public static class DevLinkWorkflowRegistration
{
    /// <summary>The link expiry workflow client, its activity and worker.</summary>
    public static IServiceCollection AddDevLinkWorkflows(this IServiceCollection services)
    {
        services.TryAddSingleton<IDevLinkWorkflows, DevLinkWorkflows>();
        services.AddSingleton<DevLinkActivities>();
        services.AddSingleton<IWorkerRegistration, DevLinkWorker>();
        return services;
    }
}
