using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;

namespace EnvForge.Api.Audit;

/// <summary>
/// The audit trail: support queries, verifiable export, time travel, masking, public keys, and (for platform operators)
/// projection rebuilds. Services: the signing key ring, the cursor keys, the sealer (in the projector process), the
/// refusal recorder (in every process: the gateway and webhooks report to it), and the correlation header.
/// </summary>
public sealed class AuditEndpoints : IApiCapability
{
    public void AddServices(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var dataDirectory = DataDirectory.Resolve(configuration);
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.Section));
        services.AddSingleton(_ => AuditSigningKeys.Load(Section(configuration, "Audit:SigningKeys"), configuration["Audit:CurrentSigningKeyId"], dataDirectory));
        services.AddSingleton(_ => AuditCursor.Load(Section(configuration, "Audit:CursorKeys"), configuration["Audit:CurrentCursorKeyId"], dataDirectory));
        services.AddSingleton<ProjectionRebuilds>();
        services.AddSingleton<AuditSealer>();
        if (configuration.GetValue("EnvForge:RunProjections", true))
        {
            services.AddHostedService(sp => sp.GetRequiredService<AuditSealer>());
        }

        services.AddSingleton<RefusalRecorder>();
        services.AddSingleton<IGatewayRefusals>(sp => sp.GetRequiredService<RefusalRecorder>());
        services.AddSingleton<IWebhookRefusals>(sp => sp.GetRequiredService<RefusalRecorder>());
        services.AddSingleton<ISignInRefusals>(sp => sp.GetRequiredService<RefusalRecorder>());
        services.AddHostedService(sp => sp.GetRequiredService<RefusalRecorder>());
        services.AddTransient<IStartupFilter, CorrelationHeader>();
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/orgs/{orgId:guid}/audit").RequireAuthorization().WithTags("Audit").WithCommonProblems();
        audit.MapGet("/", QueryAuditTrailHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Support queries: entries by workspace, actor, action, outcome, target, stream, correlation and time; cursor-paginated (Owner, Admin, Support, Auditor).");
        audit.MapGet("/export", ExportAuditTrailHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Stream the trail of a time range (jsonl or csv) with its seals, public keys and a signed closing line; verify offline.");
        audit.MapGet("/streams/{streamId:guid}/events", GetStreamEventsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Time travel: a stream's raw events with versions and metadata.");
        audit.MapGet("/streams/{streamId:guid}/state", GetStreamStateHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Time travel: an aggregate's state at a version or a time.");
        audit.MapGet("/elevations/{grantId:guid}/policy-at-approval", GetPolicyAtApprovalHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict).WithSummary("The org's root policy at the moment a grant was approved.");
        audit.MapPost("/members/{userId}/mask-personal-data", MaskPersonalDataHandler.HandleAsync).WithCommandProblems()
            .WithSummary("Mask a former member's personal fields; the chain stays verifiable (Owner/Admin).");

        app.MapGet("/audit/public-keys", GetPublicKeysHandler.Handle).AllowAnonymous().WithTags("Audit")
            .WithSummary("The public keys that verify audit seals and exports.");

        var admin = app.MapGroup("/admin/projections").RequireAuthorization().WithTags("Operations").WithCommonProblems()
            .ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/", RebuildProjectionsHandler.List).WithSummary("Every projection, and the rebuilds run in this process (operators).");
        admin.MapPost("/{name}/rebuild", RebuildProjectionsHandler.Start).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Rebuild a projection from the full history, with progress; compares the result with the live read model (operators).");
        admin.MapGet("/rebuilds/{id:guid}", RebuildProjectionsHandler.Get).WithSummary("A rebuild's progress and result (operators).");
    }

    private static Dictionary<string, string> Section(ConfigurationManager configuration, string name) =>
        configuration.GetSection(name).GetChildren().ToDictionary(k => k.Key, k => k.Value ?? string.Empty);
}
