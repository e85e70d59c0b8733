using EnvForge.Api.Organizations;
using EnvForge.Api.Workspaces;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Workspaces;
using EnvForge.Workflows.Hosting;
using Marten;

namespace EnvForge.Api.Infrastructure;

public static class WorkspaceEndpoints
{
    public static IEndpointRouteBuilder MapWorkspaceEndpoints(this IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization();

        var aws = org.MapGroup("/aws").WithTags("AWS connection");
        aws.MapGet("/setup", AwsSetup.GetAsync).WithSummary("The trust and permissions policies to create the customer's role (Owner/Admin).");
        aws.MapPut("/", AwsConnectionHandlers.ConnectAsync).WithSummary("Connect AWS with a role ARN; stored AES-256-GCM encrypted (Owner/Admin).");
        aws.MapDelete("/", AwsConnectionHandlers.DisconnectAsync).WithSummary("Disconnect AWS: nothing can assume the role afterwards (Owner/Admin).");
        org.MapPut("/workspace-policy", AwsConnectionHandlers.SetWorkspacePolicyAsync).WithTags("Workspaces")
            .WithSummary("Set the org's workspace idle timeout (Owner/Admin).");

        var workspaces = org.MapGroup("/workspaces").WithTags("Workspaces");
        workspaces.MapPost("/", CreateWorkspaceHandler.HandleAsync).WithSummary("Create a workspace and start provisioning it (Developer+).");
        workspaces.MapGet("/", ListAsync).WithSummary("The org's workspaces.");
        workspaces.MapGet("/{workspaceId:guid}", GetAsync).WithSummary("One workspace: state, step, placement, awake/asleep, last wake trigger.");
        workspaces.MapGet("/{workspaceId:guid}/readiness", GetReadinessAsync).WithSummary("The readiness receipt: what was verified and when.");
        workspaces.MapPost("/{workspaceId:guid}/cancel", CancelAsync).WithSummary("Cancel provisioning (a workflow signal); resources are destroyed.");
        workspaces.MapPost("/{workspaceId:guid}/wake", WakeAndSleepHandlers.WakeAsync)
            .WithSummary("Wake the runtime (trigger: DevUrl, Test, ServiceCommand, AgentJob, Api); secrets are resolved from SSM at wake.");
        workspaces.MapPost("/{workspaceId:guid}/sleep", WakeAndSleepHandlers.SleepAsync).WithSummary("Put the runtime to sleep now (the meter stops).");
        return app;
    }

    private static async Task<IResult> ListAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var list = await WorkspaceDirectory.ListAsync(session, orgId, http.RequestAborted);
        return TypedResults.Ok(list.Select(WorkspaceResponse.From).ToList());
    }

    private static async Task<IResult> GetAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session)
    {
        var (workspace, denied) = await LoadAsync(orgId, workspaceId, http, session, Permission.ViewWorkspaces);
        return denied ?? (IResult)TypedResults.Ok(WorkspaceResponse.From(workspace!));
    }

    private static async Task<IResult> GetReadinessAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await LoadAsync(orgId, workspaceId, http, session, Permission.ViewWorkspaces);
        if (denied is not null)
        {
            return denied;
        }

        var receipt = await session.LoadAsync<ReadinessReceipt>(workspaceId, http.RequestAborted);
        return receipt is null
            ? Problems.Problem(StatusCodes.Status404NotFound, "workspace.not_ready", "Not found", "The workspace has not been verified yet.")
            : TypedResults.Ok(receipt);
    }

    private static async Task<IResult> CancelAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkflowLauncher workflows)
    {
        var (workspace, denied) = await LoadAsync(orgId, workspaceId, http, session, Permission.UseWorkspaces);
        if (denied is not null)
        {
            return denied;
        }

        if (workspace!.Status is not (WorkspaceStatus.Requested or WorkspaceStatus.Provisioning))
        {
            return Problems.From(WorkspaceRejections.WrongState(workspace.Status, "cancel provisioning"));
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        await workflows.CancelProvisioningAsync(workspaceId, http.User.Subject(), http.RequestAborted);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", WorkspaceResponse.From(workspace));
    }

    /// <summary>A workspace of another org answers exactly like a missing one.</summary>
    private static async Task<(Workspace? Workspace, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Denied)> LoadAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, Permission permission)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), permission, http.RequestAborted);
        if (denied is not null)
        {
            return (null, denied);
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, http.RequestAborted);
        return workspace is null || workspace.OrgId != orgId ? (null, Problems.NotFound("workspace")) : (workspace, null);
    }
}
