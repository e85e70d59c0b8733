using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

/// <summary>Time travel: one stream's raw events, with versions, sequences and metadata, after a version (Auditors and the other ReadAudit roles).</summary>
internal static class GetStreamEventsHandler
{
    public static async Task<Results<Ok<IReadOnlyList<RawEvent>>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid streamId, HttpContext http, IQuerySession session, long? afterVersion, int? limit)
    {
        if (await AuditAccess.CheckAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (afterVersion is < 0)
        {
            errors["afterVersion"] = ["A version is 0 or more."];
        }

        if (limit is < 1 or > Cursor.MaxLimit)
        {
            errors["limit"] = [$"Limit must be between 1 and {Cursor.MaxLimit}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var events = await AuditTimeTravel.EventsAsync(session, orgId, streamId, afterVersion ?? 0, limit ?? Cursor.MaxLimit, http.RequestAborted);
        return events is null ? Problems.NotFound("stream") : TypedResults.Ok(events);
    }
}
