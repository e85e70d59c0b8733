using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Terraform;
using EnvForge.Workflows.Wallet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Worker;

namespace EnvForge.Workflows.Workspaces;

/// <summary>Adds the workspace workflows and activities to the in-process worker.</summary>
public sealed class WorkspaceWorker : IWorkerRegistration
{
    public void Register(TemporalWorkerOptions options, IServiceProvider services)
    {
        var provisioning = services.GetRequiredService<IProvisioningActivities>();
        options
            .AddWorkflow<ProvisionWorkspaceWorkflow>()
            .AddWorkflow<WorkspaceRuntimeWorkflow>()
            .AddAllActivities(provisioning.GetType(), provisioning)
            .AddAllActivities(services.GetRequiredService<RuntimeActivities>());
    }
}

public static class WorkspaceWorkflowRegistration
{
    /// <summary>The workspace workflow client, STS/EC2/SSM, terraform and the runtime host, the activities and their worker.</summary>
    public static IServiceCollection AddWorkspaceWorkflows(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<IWorkspaceWorkflows, WorkspaceWorkflows>();
        services.TryAddSingleton<IRuntimeBudget, WalletRuntimeBudget>();
        services.AddOptions<TerraformOptions>().Bind(configuration.GetSection(TerraformOptions.Section));
        services.TryAddSingleton<IRoleAssumer, StsRoleAssumer>();
        services.TryAddSingleton<IInstanceVerifier, AwsInstanceVerifier>();
        services.TryAddSingleton<ITerraformRunner, ProcessTerraformRunner>();

        services.AddOptions<RuntimeOptions>().Bind(configuration.GetSection(RuntimeOptions.Section));
        services.TryAddSingleton<ISecretResolver, SsmSecretResolver>();
        services.TryAddSingleton<IServiceRuntime, DockerServiceRuntime>();

        services.AddSingleton<OrgAwsAccess>();
        services.AddSingleton<ProvisioningActivities>();
        services.TryAddSingleton<IProvisioningActivities>(sp => sp.GetRequiredService<ProvisioningActivities>());
        services.TryAddSingleton<IServiceAddresses, UpstreamTemplateAddresses>();
        services.AddSingleton<RuntimeActivities>();
        services.AddSingleton<IWorkerRegistration, WorkspaceWorker>();
        return services;
    }
}
