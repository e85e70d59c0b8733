using System.Text.Json.Serialization;
using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure.Auth;
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
        builder.AddDevLinkGateway();
        foreach (var capability in capabilities)
        {
            capability.AddServices(builder);
        }

        return builder;
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
