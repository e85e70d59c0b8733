using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Workflows.Local;

public static class LocalRegistration
{
    /// <summary>
    /// The deployment's provider (<see cref="InfrastructureSelection"/>), the manifest reader both providers use, and, when
    /// the provider is Local, its implementations of the seams: registered before the capabilities' own registrations, whose
    /// TryAdd then keeps them (provisioning activities, secret resolver, service runtime, root access host, service addresses).
    /// </summary>
    public static IServiceCollection AddInfrastructureProvider(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        var selection = InfrastructureSelection.From(configuration);
        var paths = new LocalPaths(dataDirectory);
        services.AddSingleton(selection);
        services.AddSingleton(paths);
        services.AddSingleton(new GitRepositories(paths.RepositoryMirrors));
        services.AddSingleton<ManifestReader>();
        services.AddSingleton<LocalSecretStore>();
        services.AddOptions<LocalOptions>().Bind(configuration.GetSection(LocalOptions.Section));
        if (!selection.IsLocal)
        {
            return services;
        }

        services.AddSingleton<LocalDocker>();
        services.AddSingleton<LocalHosts>();
        services.AddSingleton<LocalServiceAddresses>();
        services.AddSingleton<IServiceAddresses>(sp => sp.GetRequiredService<LocalServiceAddresses>());
        services.AddSingleton<ISecretResolver, LocalSecretResolver>();
        services.AddSingleton<IServiceRuntime, LocalServiceRuntime>();
        services.AddSingleton<IRootAccessHost, LocalRootAccessHost>();
        services.AddSingleton<LocalProvisioningActivities>();
        services.AddSingleton<IProvisioningActivities>(sp => sp.GetRequiredService<LocalProvisioningActivities>());
        return services;
    }
}
