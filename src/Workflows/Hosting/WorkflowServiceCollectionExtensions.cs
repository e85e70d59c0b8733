using EnvForge.Workflows.Aws;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Terraform;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Workflows.Hosting;

public static class WorkflowServiceCollectionExtensions
{
    /// <summary>Temporal runtime, workflow launcher, field encryption, AWS, SSM and terraform clients, and the activities.</summary>
    public static IServiceCollection AddEnvForgeWorkflows(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddEnvForgeTemporal(configuration);
        services.TryAddSingleton<IWorkflowLauncher, TemporalWorkflowLauncher>();
        services.TryAddSingleton<IRuntimeBudget, UnmeteredRuntimeBudget>();

        services.AddSingleton(_ => FieldEncryption.Load(
            configuration.GetSection("Encryption:Keys").GetChildren().ToDictionary(k => k.Key, k => k.Value ?? string.Empty),
            configuration["Encryption:CurrentKeyId"],
            dataDirectory));

        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section));
        services.AddOptions<TerraformOptions>().Bind(configuration.GetSection(TerraformOptions.Section));
        services.TryAddSingleton<IRoleAssumer, StsRoleAssumer>();
        services.TryAddSingleton<IInstanceVerifier, AwsInstanceVerifier>();
        services.TryAddSingleton<ITerraformRunner, ProcessTerraformRunner>();

        services.AddOptions<RuntimeOptions>().Bind(configuration.GetSection(RuntimeOptions.Section));
        services.TryAddSingleton<ISecretResolver, SsmSecretResolver>();
        services.TryAddSingleton<IServiceRuntime, DockerServiceRuntime>();

        services.AddSingleton<OrgAwsAccess>();
        services.AddSingleton<ProvisioningActivities>();
        services.AddSingleton<RuntimeActivities>();
        services.AddSingleton<IWorkerRegistration, WorkspaceWorker>();

        services.AddOptions<ElevationOptions>().Bind(configuration.GetSection(ElevationOptions.Section)).Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.TryAddSingleton<IRootAccessHost, SsmRootAccessHost>();
        services.AddSingleton<ElevationActivities>();
        services.AddSingleton<IWorkerRegistration, ElevationWorker>();

        services.AddSingleton<DevLinkActivities>();
        services.AddSingleton<IWorkerRegistration, DevLinkWorker>();
        return services;
    }
}
