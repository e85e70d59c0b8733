using EnvForge.Domain.Organizations;
using EnvForge.Projections.Audit;
using Marten;

namespace EnvForge.Api.Infrastructure;

public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/orgs/{orgId:guid}/audit", QueryAsync)
            .RequireAuthorization()
            .WithTags("Audit")
            .WithSummary("The org's audit trail in event order; filter by action, actor, stream and time; cursor-paginated (Owner, Admin, Support, Auditor).");
        return app;
    }

    private static async Task<IResult> QueryAsync(
        Guid orgId, HttpContext http, IQuerySession session,
        string? action, string? actor, Guid? streamId, DateTimeOffset? from, DateTimeOffset? to, string? cursor, int? limit)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ReadAudit, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (from is { } f && to is { } t && f >= t)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }

        if (action is { Length: > 100 } || actor is { Length: > 200 })
        {
            errors["filter"] = ["Filters are limited to 100 (action) and 200 (actor) characters."];
        }

        if (!Paging.TryRead(cursor, limit, errors, out long after, out var take) || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var page = await AuditTrail.QueryAsync(session, orgId, new AuditFilter(action, actor, streamId, from, to), after, take, http.RequestAborted);
        return TypedResults.Ok(page);
    }
}
