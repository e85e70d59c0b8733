using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Elevation;

/// <summary>Root elevation: the org's root policy, and grants from request to closeout. The route group.</summary>
public sealed class ElevationEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization().WithTags("Root elevation").WithCommonProblems();
        org.MapGet("/root-policy", GetRootPolicyHandler.HandleAsync).WithSummary("The org's root policy (members).");
        org.MapPut("/root-policy", SetRootPolicyHandler.HandleAsync).Accepts<RootPolicyRequest>("application/json").WithWorkflowProblems()
            .WithSummary("Set the root policy (Owner/Admin); switching it to Disabled closes out every open grant. Honours If-Match.");

        org.MapPost("/workspaces/{workspaceId:guid}/elevations", RequestElevationHandler.HandleAsync).Accepts<RequestElevationRequest>("application/json")
            .WithWorkflowProblems()
            .WithSummary("Request root on one workspace: reason, mode, window (Developer, Admin, Owner). Starts the grant's workflow.");

        var elevations = org.MapGroup("/elevations");
        elevations.MapGet("/", ListElevationsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Elevation history, newest first, filtered by workspaceId, requester, approver, status; cursor-paginated.");
        elevations.MapGet("/pending", ListPendingElevationsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Requests waiting for a decision, oldest first: what an approver sees.");
        elevations.MapGet("/{grantId:guid}", GetElevationHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("One grant, with its workflow's progress when Temporal answers.");
        elevations.MapPost("/{grantId:guid}/approve", ApproveElevationHandler.HandleAsync).Accepts<ApproveElevationRequest>("application/json")
            .WithWorkflowProblems()
            .WithSummary("Approve (Admin/Owner, never the requester); may shorten the window. Signals the workflow.");
        elevations.MapPost("/{grantId:guid}/deny", DenyElevationHandler.HandleAsync).Accepts<ReasonRequest>("application/json").WithWorkflowProblems()
            .WithSummary("Deny with a reason (Admin/Owner, never the requester).");
        elevations.MapPost("/{grantId:guid}/revoke", RevokeElevationHandler.HandleAsync).Accepts<ReasonRequest>("application/json").WithWorkflowProblems()
            .WithSummary("Revoke, pending or active (the requester, Admin or Owner): an active grant is closed out at once.");
    }
}
