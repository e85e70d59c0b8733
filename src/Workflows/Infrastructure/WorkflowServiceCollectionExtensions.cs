using EnvForge.Workflows.Aws;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Wallet;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Workflows.Infrastructure;

public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// The Temporal runtime (client and in-process worker), what every capability shares (field encryption, AWS
    /// options), then each capability's workflow client, activities and worker registration: one line per capability.
    /// </summary>
    public static IServiceCollection AddEnvForgeWorkflows(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddEnvForgeTemporal(configuration);
        services.AddSingleton(_ => FieldEncryption.Load(
            configuration.GetSection("Encryption:Keys").GetChildren().ToDictionary(k => k.Key, k => k.Value ?? string.Empty),
            configuration["Encryption:CurrentKeyId"],
            dataDirectory));
        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section));

        services.AddInfrastructureProvider(configuration, dataDirectory); // first: Local's seams win the TryAdds below
        services.AddWorkspaceWorkflows(configuration);
        services.AddElevationWorkflows(configuration);
        services.AddDevLinkWorkflows();
        services.AddWalletWorkflows(configuration);
        return services;
    }
}
