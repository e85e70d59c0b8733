using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

public sealed record RequestElevationRequest(string? Mode, int? WindowMinutes, string? Reason, string? TicketReference)
{
    public sealed class Validator : AbstractValidator<RequestElevationRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Mode).NotEmpty().Must(ElevationRequestRules.IsMode).WithMessage(ElevationRequestRules.ModeMessage);
            RuleFor(r => r.WindowMinutes).NotNull().InclusiveBetween(1, (int)RootPolicy.WorkspaceElevationCeiling.TotalMinutes * 10);
            RuleFor(r => r.Reason).NotEmpty().MaximumLength(ElevationDecider.MaxReasonLength);
            RuleFor(r => r.TicketReference).MaximumLength(ElevationDecider.MaxTicketReferenceLength);
        }
    }
}

/// <summary>
/// Asks for root on one workspace (Developer, Admin, Owner): reason, mode, window, within the org's policy. The grant's
/// workflow is started before its stream: a grant on the stream always has a workflow to end it (should the append
/// fail, the workflow finds no grant at its deadline and ends with nothing to do). Without Temporal: 503, nothing recorded.
/// </summary>
internal static class RequestElevationHandler
{
    public static async Task<Results<Accepted<ElevationResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (org, role, denied) = await OrgAccess.LoadAsync(session, orgId, subject, Permission.UseWorkspaces, ct);
        if (denied is not null)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<RequestElevationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        var now = time.GetUtcNow();
        var grantId = Guid.CreateVersion7(now);
        var command = new RequestElevation(
            grantId, orgId, workspaceId, WorkspaceInOrg: workspace is not null && workspace.OrgId == orgId && workspace.IsLive,
            role, org!.RootPolicy, Enum.Parse<RootMode>(body!.Mode!), TimeSpan.FromMinutes(body.WindowMinutes!.Value),
            body.Reason!, body.TicketReference, subject, now);
        var result = await commands.ExecuteAsync(http, ElevationDecider.Decider, grantId, _ => command,
            beforeAppend: async (grant, ct) =>
            {
                if (workflows.UnavailableReason is { } unavailable)
                {
                    return Problems.WorkflowsUnavailable(unavailable);
                }

                await workflows.StartAsync(new ElevationInput(grantId, orgId, workspaceId, grant.Deadline.UtcDateTime), ct);
                return null;
            });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        var record = ElevationRecord.Next(null, (ElevationRequested)result.Events[0])!;
        return TypedResults.Accepted($"/orgs/{orgId}/elevations/{grantId}", ElevationResponse.From(record));
    }
}
