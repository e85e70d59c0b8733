using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

/// <summary>Time travel: any aggregate's state at a version (<c>?version=</c>) or as of a time (<c>?at=</c>); the latest without either.</summary>
internal static class GetStreamStateHandler
{
    public static async Task<Results<Ok<StreamState>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid streamId, HttpContext http, IQuerySession session, long? version, DateTimeOffset? at)
    {
        if (await AuditAccess.CheckAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        if (version is < 1)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["version"] = ["A version is 1 or more."] });
        }

        var state = await AuditTimeTravel.StateAsync(session, orgId, streamId, version ?? 0, at, http.RequestAborted);
        return state is null ? Problems.NotFound("stream") : TypedResults.Ok(state);
    }
}
