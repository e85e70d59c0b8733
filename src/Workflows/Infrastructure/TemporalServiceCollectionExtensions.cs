using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Workflows.Infrastructure;

public static class TemporalServiceCollectionExtensions
{
    /// <summary>Registers the Temporal runtime (client + in-process worker) as a hosted service.</summary>
    public static IServiceCollection AddEnvForgeTemporal(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TemporalOptions>()
            .Bind(configuration.GetSection(TemporalOptions.Section))
            .PostConfigure(o =>
            {
                if (configuration["TEMPORAL_ADDRESS"] is { Length: > 0 } address)
                {
                    o.Address = address;
                }
            });
        services.AddSingleton<TemporalRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<TemporalRuntime>());
        return services;
    }
}
