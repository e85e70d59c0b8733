using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Hosting;
using EnvForge.Workflows.Workspaces;
using FluentValidation;
using Marten;

namespace EnvForge.Api.Workspaces;

public sealed record WakeRequest(string? Trigger)
{
    public sealed class Validator : AbstractValidator<WakeRequest>
    {
        public Validator() => RuleFor(r => r.Trigger).NotEmpty()
            .Must(t => EnumNames.IsName<WakeTrigger>(t))
            .WithMessage($"Trigger must be one of: {string.Join(", ", Enum.GetNames<WakeTrigger>())}.");
    }
}

internal static class WakeAndSleepHandlers
{
    /// <summary>Wake is a signal to the workspace's runtime workflow (started on first wake); the workflow records the wake.</summary>
    public static async Task<IResult> WakeAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkflowLauncher workflows, IRuntimeBudget budget)
    {
        var ct = http.RequestAborted;
        var org = await session.LoadAsync<Organization>(orgId, ct);
        if (OrgAccess.Check(org, http.User.Subject(), Permission.UseWorkspaces) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<WakeRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        if (workspace is null || workspace.OrgId != orgId)
        {
            return Problems.NotFound("workspace");
        }

        if (workspace.Status != WorkspaceStatus.Ready)
        {
            return Problems.From(WorkspaceRejections.WrongState(workspace.Status, "wake"));
        }

        if (!await budget.CanAffordMinimumRuntimeAsync(orgId, ct))
        {
            return Problems.Problem(StatusCodes.Status402PaymentRequired, WorkspaceRejections.InsufficientBalance.Code, "Payment required",
                WorkspaceRejections.InsufficientBalance.Message);
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        var trigger = Enum.Parse<WakeTrigger>(body!.Trigger!);
        await workflows.WakeAsync(new RuntimeInput(workspaceId, orgId, TimeSpan.FromMinutes(org!.IdleTimeoutMinutes)), trigger, ct);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", new { workspaceId, trigger });
    }

    public static async Task<IResult> SleepAsync(Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkflowLauncher workflows)
    {
        var ct = http.RequestAborted;
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.UseWorkspaces, ct);
        if (denied is not null)
        {
            return denied;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        if (workspace is null || workspace.OrgId != orgId)
        {
            return Problems.NotFound("workspace");
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        await workflows.SleepAsync(workspaceId, http.User.Subject(), ct);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", new { workspaceId });
    }
}
