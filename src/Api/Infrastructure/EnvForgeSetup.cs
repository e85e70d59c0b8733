using System.Text.Json.Serialization;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Projections.DevLinks;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Infrastructure;
using FluentValidation;
using JasperFx.Events.Daemon;
using Marten;
using Scalar.AspNetCore;

namespace EnvForge.Api.Infrastructure;

/// <summary>Shared service defaults: Marten, auth, ProblemDetails, JSON, OpenAPI, health, Temporal.</summary>
public static class EnvForgeSetup
{
    public static WebApplicationBuilder AddEnvForge(this WebApplicationBuilder builder, IReadOnlyList<IApiCapability> capabilities)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Complete);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        services.AddValidatorsFromAssemblyContaining<Program>(includeInternalTypes: true);
        services.AddOpenApi();

        var connectionString = configuration.GetConnectionString("Marten");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Marten is not set. Run ops/run.sh, or set ConnectionStrings__Marten to a PostgreSQL connection string.");
        }

        var marten = services.AddMarten(o => EventStore.Configure(o, connectionString))
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();

        // The audit trail and other async projections run in exactly one process: Solo mode (see README, "Scaling out").
        if (configuration.GetValue("EnvForge:RunProjections", true))
        {
            marten.AddAsyncDaemon(DaemonMode.Solo);
        }

        services.AddEnvForgeAuthentication(configuration);
        services.AddEnvForgeWorkflows(configuration, DataDirectory.Resolve(configuration));
        services.AddSingleton<StreamCommands>();
        AddGateway(builder);
        foreach (var capability in capabilities)
        {
            capability.AddServices(builder);
        }

        return builder;
    }

    /// <summary>The dev-link gateway: the link signing key ring, the in-memory directory and its feed, and the gateway itself.</summary>
    private static void AddGateway(WebApplicationBuilder builder)
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
        services.AddSingleton<DevLinkGateway>();

        // Request logs would carry a link's token (its first URL has it in the query): never below Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
    }

    public static WebApplication UseEnvForge(this WebApplication app, IReadOnlyList<IApiCapability> capabilities)
    {
        app.UseExceptionHandler();

        // Dev-link hosts ({linkId}.{Gateway:Domain}) go to the gateway and never reach the API's endpoints.
        var gateway = app.Services.GetRequiredService<DevLinkGateway>();
        app.MapWhen(gateway.IsGatewayHost, branch => branch.Run(gateway.HandleAsync));
        app.UseRouting(); // here, not first: gateway requests skip endpoint matching

        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthEndpoints();
        foreach (var capability in capabilities)
        {
            capability.MapEndpoints(app);
        }

        return app;
    }
}
