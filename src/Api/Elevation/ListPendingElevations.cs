using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>What an approver of the org decides on: pending requests, oldest first.</summary>
internal static class ListPendingElevationsHandler
{
    public static async Task<Results<Ok<ElevationPage>, ProblemHttpResult>> HandleAsync(Guid orgId, HttpContext http, IQuerySession session, string? cursor, int? limit)
    {
        if (await ElevationAccess.CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(cursor, limit, errors, out Guid? after, out var take))
        {
            return Problems.Validation(errors);
        }

        var page = await PendingApprovals.QueryAsync(session, orgId, after, take, http.RequestAborted);
        return TypedResults.Ok(new ElevationPage([.. page.Items.Select(r => ElevationResponse.From(r))], page.NextCursor));
    }
}
