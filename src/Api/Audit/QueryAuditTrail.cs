using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

/// <summary>An org's audit entries in event order, filtered, cursor-paginated.</summary>
internal static class QueryAuditTrailHandler
{
    public static async Task<Results<Ok<Page<AuditEntry>>, ProblemHttpResult>> HandleAsync(
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
