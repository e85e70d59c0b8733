using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Workflows.Elevation;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <param name="WindowMinutes">A shorter window than the one requested; omit to keep it.</param>
public sealed record ApproveElevationRequest(int? WindowMinutes)
{
    public sealed class Validator : AbstractValidator<ApproveElevationRequest>
    {
        public Validator() => RuleFor(r => r.WindowMinutes).InclusiveBetween(1, (int)RootPolicy.WorkspaceElevationCeiling.TotalMinutes);
    }
}

/// <summary>Approves (Admin/Owner, never the requester), possibly shortening the window; recorded, then signalled.</summary>
internal static class ApproveElevationHandler
{
    public static async Task<Results<Ok<ElevationResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid grantId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, TimeProvider time,
        ILogger<ApproveElevationRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ApproveElevationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var window = body!.WindowMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        return await GrantDecision.RecordAsync(orgId, grantId, http, session, commands, workflows, logger,
            (role, subject) => new ApproveElevation(grantId, orgId, role, window, subject, time.GetUtcNow()));
    }
}
