using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Workspaces;

/// <summary>Workspaces: provisioning, runtime (wake and sleep), read models, and the org's workspace policy. The route group.</summary>
public sealed class WorkspaceEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization().WithTags("Workspaces").WithCommonProblems();
        org.MapPut("/workspace-policy", SetWorkspacePolicyHandler.HandleAsync).Accepts<WorkspacePolicyRequest>("application/json").WithCommandProblems()
            .WithSummary("Set the org's workspace idle timeout (Owner/Admin).");

        var workspaces = org.MapGroup("/workspaces");
        workspaces.MapPost("/", CreateWorkspaceHandler.HandleAsync).Accepts<CreateWorkspaceRequest>("application/json").WithWorkflowProblems()
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .WithSummary("Create a workspace and start provisioning it (Developer+).");
        workspaces.MapGet("/", ListWorkspacesHandler.HandleAsync).WithSummary("The org's workspaces.");
        workspaces.MapGet("/{workspaceId:guid}", GetWorkspaceHandler.HandleAsync)
            .WithSummary("One workspace: state, step, placement, awake/asleep, last wake trigger.");
        workspaces.MapGet("/{workspaceId:guid}/readiness", GetReadinessHandler.HandleAsync).WithSummary("The readiness receipt: what was verified and when.");
        workspaces.MapPost("/{workspaceId:guid}/cancel", CancelProvisioningHandler.HandleAsync).WithWorkflowProblems()
            .WithSummary("Cancel provisioning (a workflow signal); resources are destroyed.");
        workspaces.MapPost("/{workspaceId:guid}/wake", WakeWorkspaceHandler.HandleAsync).Accepts<WakeRequest>("application/json").WithWorkflowProblems()
            .ProducesProblem(StatusCodes.Status402PaymentRequired)
            .WithSummary("Wake the runtime (trigger: DevUrl, Test, ServiceCommand, AgentJob, Api); secrets are resolved from SSM at wake.");
        workspaces.MapPost("/{workspaceId:guid}/sleep", SleepWorkspaceHandler.HandleAsync).WithWorkflowProblems()
            .WithSummary("Put the runtime to sleep now (the meter stops).");
    }
}
