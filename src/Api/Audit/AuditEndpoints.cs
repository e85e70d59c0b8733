using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Audit;

/// <summary>The audit trail: the route group.</summary>
public sealed class AuditEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/orgs/{orgId:guid}/audit").RequireAuthorization().WithTags("Audit").WithCommonProblems();
        audit.MapGet("/", QueryAuditTrailHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The org's audit trail in event order; filter by action, actor, stream and time; cursor-paginated (Owner, Admin, Support, Auditor).");
    }
}
