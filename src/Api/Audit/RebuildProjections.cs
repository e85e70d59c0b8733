using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

public sealed record ProjectionsResponse(IReadOnlyList<string> Projections, IReadOnlyList<RebuildProgress> Rebuilds);

/// <summary>
/// Platform operators rebuild any projection from the full history: <c>POST /admin/projections/{name}/rebuild</c> starts
/// it (202, with where to follow it), <c>GET /admin/projections/rebuilds/{id}</c> shows events done of the total, the
/// rate, the time left and, at the end, whether the rebuilt read model equals the one it replaced.
/// </summary>
internal static class RebuildProjectionsHandler
{
    public static Results<Ok<ProjectionsResponse>, ProblemHttpResult> List(HttpContext http, ProjectionRebuilds rebuilds) =>
        AuditAccess.IsOperator(http) ? TypedResults.Ok(new ProjectionsResponse(rebuilds.Names, rebuilds.All)) : AuditAccess.NotOperator();

    public static Results<Accepted<RebuildProgress>, ProblemHttpResult> Start(string name, HttpContext http, ProjectionRebuilds rebuilds)
    {
        if (!AuditAccess.IsOperator(http))
        {
            return AuditAccess.NotOperator();
        }

        if (!rebuilds.Names.Contains(name, StringComparer.Ordinal))
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "projection.not_found", "Not found", "No projection with this name; GET /admin/projections lists them.");
        }

        return rebuilds.Start(name) is { } started
            ? TypedResults.Accepted($"/admin/projections/rebuilds/{started.Id}", started)
            : Problems.Problem(StatusCodes.Status409Conflict, "projection.rebuild_running", "Conflict", "This projection is being rebuilt already.");
    }

    public static Results<Ok<RebuildProgress>, ProblemHttpResult> Get(Guid id, HttpContext http, ProjectionRebuilds rebuilds) =>
        !AuditAccess.IsOperator(http) ? AuditAccess.NotOperator()
        : rebuilds.Find(id) is { } progress ? TypedResults.Ok(progress)
        : Problems.Problem(StatusCodes.Status404NotFound, "projection.rebuild_not_found", "Not found", "No rebuild with this id in this process.");
}
