using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Workspaces;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

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

public sealed record WakeResponse(Guid WorkspaceId, WakeTrigger Trigger);

/// <summary>Wake is a signal to the workspace's runtime workflow (started on first wake); the workflow records the wake.</summary>
internal static class WakeWorkspaceHandler
{
    public static async Task<Results<Accepted<WakeResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, IWorkspaceWorkflows workflows, IRuntimeBudget budget)
    {
        var ct = http.RequestAborted;
        var (org, _, denied) = await OrgAccess.LoadAsync(session, orgId, http.User.Subject(), Permission.UseWorkspaces, ct);
        if (denied is not null)
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
            return Problems.From(WorkspaceRejections.InsufficientBalance);
        }

        if (workflows.UnavailableReason is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        var trigger = Enum.Parse<WakeTrigger>(body!.Trigger!);
        await workflows.WakeAsync(new RuntimeInput(workspaceId, orgId, TimeSpan.FromMinutes(org!.IdleTimeoutMinutes)), trigger, ct);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", new WakeResponse(workspaceId, trigger));
    }
}
