using System.Text.Json.Serialization;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Hosting;
using FluentValidation;
using JasperFx.Events.Daemon;
using Marten;
using Scalar.AspNetCore;

namespace EnvForge.Api.Infrastructure;

/// <summary>Shared service defaults: Marten, auth, ProblemDetails, JSON, OpenAPI, health, Temporal.</summary>
public static class EnvForgeSetup
{
    public static WebApplicationBuilder AddEnvForge(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier));
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
        services.AddOptions<EnvForge.Api.Organizations.PlatformAwsOptions>().Bind(configuration.GetSection("Aws"));
        return builder;
    }

    public static WebApplication UseEnvForge(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthEndpoints();
        return app;
    }
}
