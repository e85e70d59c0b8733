using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>One grant, with its workflow's own progress when a Temporal server answers; the ETag is the grant stream's version.</summary>
internal static class GetElevationHandler
{
    public static async Task<Results<Ok<ElevationResponse>, ProblemHttpResult>> HandleAsync(Guid orgId, Guid grantId, HttpContext http, IQuerySession session, IElevationWorkflows workflows)
    {
        if (await ElevationAccess.CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var record = await session.LoadAsync<ElevationRecord>(grantId, http.RequestAborted);
        if (record is null || record.OrgId != orgId)
        {
            return Problems.NotFound("elevation");
        }

        var progress = await workflows.QueryAsync(grantId, http.RequestAborted);
        var version = (await session.Events.FetchStreamStateAsync(grantId, http.RequestAborted))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(ElevationResponse.From(record, progress));
    }
}
