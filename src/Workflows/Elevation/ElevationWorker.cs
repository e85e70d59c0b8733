using EnvForge.Workflows.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Worker;

namespace EnvForge.Workflows.Elevation;

/// <summary>Adds the root elevation workflow and its activities to the in-process worker.</summary>
public sealed class ElevationWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<RootElevationWorkflow>()
        .AddAllActivities(services.GetRequiredService<ElevationActivities>());
}
