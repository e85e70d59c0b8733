using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Workflows.Elevation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>Takes a grant back, pending or active (the requester, Admin or Owner): an active one is closed out at once by its workflow.</summary>
internal static class RevokeElevationHandler
{
    public static async Task<Results<Ok<ElevationResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid grantId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, TimeProvider time,
        ILogger<ReasonRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ReasonRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await GrantDecision.RecordAsync(orgId, grantId, http, session, commands, workflows, logger,
            (role, subject) => new RevokeElevation(grantId, orgId, role, body!.Reason!, subject, time.GetUtcNow()));
    }
}
