using EnvForge.Workflows.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Worker;

namespace EnvForge.Workflows.Elevation;

/// <summary>Adds the root elevation workflow and its activities to the in-process worker.</summary>
public sealed class ElevationWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<RootElevationWorkflow>()
        .AddAllActivities(services.GetRequiredService<ElevationActivities>());
}

public static class ElevationWorkflowRegistration
{
    /// <summary>The grant workflow client, the host that puts root on and takes it off (SSM Run Command), the activities and their worker.</summary>
    public static IServiceCollection AddElevationWorkflows(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<IElevationWorkflows, ElevationWorkflows>();
        services.AddOptions<ElevationOptions>().Bind(configuration.GetSection(ElevationOptions.Section)).Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.TryAddSingleton<IRootAccessHost, SsmRootAccessHost>();
        services.AddSingleton<ElevationActivities>();
        services.AddSingleton<IWorkerRegistration, ElevationWorker>();
        return services;
    }
}
