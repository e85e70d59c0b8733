using EnvForge.Api.DevLinks;
using EnvForge.Api.Infrastructure;
using EnvForge.Projections.DevLinks;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Api.Gateway;

/// <summary>The dev-link gateway's services: the link signing key ring, the in-memory directory and its feed, the gateway's parts.</summary>
public static class GatewayRegistration
{
    public static WebApplicationBuilder AddDevLinkGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section));
        services.AddOptions<DevLinkDirectoryOptions>().Bind(configuration.GetSection(DevLinkDirectoryOptions.Section));
        services.AddSingleton(_ => DevLinkSigner.Load(
            configuration.GetSection("DevLinks:Keys").GetChildren().ToDictionary(k => k.Key, k => k.Value ?? string.Empty),
            configuration["DevLinks:CurrentKeyId"],
            DataDirectory.Resolve(configuration)));
        services.AddSingleton<DevLinkDirectory>();
        services.AddHostedService<DevLinkDirectoryFeed>();
        services.AddHttpForwarder();
        services.AddDevLinkGatewayParts();

        // Request logs would carry a link's token (its first URL has it in the query) and apps' query strings: the server's
        // and the proxy's logging never below Warning, whatever the configuration says.
        QuietLoggerFactory.Install(services);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        return builder;
    }

    /// <summary>The gateway's parts, given a directory, a signer, YARP's forwarder, the workspace workflows and a store.</summary>
    public static IServiceCollection AddDevLinkGatewayParts(this IServiceCollection services)
    {
        // Where services listen: the provider's answer (the Local provider registers its own), else the upstream template.
        services.TryAddSingleton<IServiceAddresses, UpstreamTemplateAddresses>();
        return services
        .AddSingleton<LinkHosts>()
        .AddSingleton<SessionCookie>()
        .AddSingleton<UsedTickets>()
        .AddSingleton<LinkOpening>()
        .AddSingleton<LinkAccess>()
        .AddSingleton<LiveRequests>()
        .AddSingleton<KeepAwake>()
        .AddSingleton<UpstreamForwarder>()
        .AddSingleton<DevLinkGateway>();
    }
}
