using EnvForge.Workflows.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Worker;

namespace EnvForge.Workflows.Workspaces;

/// <summary>Adds the workspace workflows and activities to the in-process worker.</summary>
public sealed class WorkspaceWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services) => options
        .AddWorkflow<ProvisionWorkspaceWorkflow>()
        .AddWorkflow<WorkspaceRuntimeWorkflow>()
        .AddAllActivities(services.GetRequiredService<ProvisioningActivities>())
        .AddAllActivities(services.GetRequiredService<RuntimeActivities>());
}
