using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

/// <summary>
/// Support queries: an org's entries by workspace, actor, action, outcome, target, stream, correlation and time range,
/// in time order, oldest first (or <c>order=desc</c>), cursor-paginated. Every shape has its index; bad filters are 400s.
/// </summary>
internal static class QueryAuditTrailHandler
{
    public const int MaxFilterLength = 200;

    public static async Task<Results<Ok<Page<AuditEntry>>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, AuditCursor cursors,
        string? action, string? outcome, string? actor, Guid? workspaceId, string? targetType, string? targetId, Guid? streamId,
        string? correlationId, DateTimeOffset? from, DateTimeOffset? to, string? order, string? cursor, int? limit)
    {
        if (await AuditAccess.CheckAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (action is not null && !AuditCatalog.KnownActions.Contains(action))
        {
            errors["action"] = ["Unknown action code; the README lists every code."];
        }

        if (outcome is not null && !AuditOutcomes.All.Contains(outcome))
        {
            errors["outcome"] = [$"Outcome must be one of: {string.Join(", ", AuditOutcomes.All.Order(StringComparer.Ordinal))}."];
        }

        if (targetType is not null && !AuditCatalog.TargetTypes.Contains(targetType))
        {
            errors["targetType"] = [$"Target type must be one of: {string.Join(", ", AuditCatalog.TargetTypes.Order(StringComparer.Ordinal))}."];
        }

        foreach (var (name, value) in new[] { ("actor", actor), ("targetId", targetId), ("correlationId", correlationId) })
        {
            if (value is not null && (value.Length == 0 || value.Length > MaxFilterLength))
            {
                errors[name] = [$"Between 1 and {MaxFilterLength} characters."];
            }
        }

        if (from is { } f && to is { } t && f >= t)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }

        var newest = order switch
        {
            null or "asc" => false,
            "desc" => true,
            _ => Invalid(errors, "order", "Order must be 'asc' or 'desc'."),
        };
        var take = limit ?? Cursor.DefaultLimit;
        if (take is < 1 or > Cursor.MaxLimit)
        {
            errors["limit"] = [$"Limit must be between 1 and {Cursor.MaxLimit}."];
        }

        var after = default(AuditPosition);
        if (cursor is not null && !cursors.TryDecode(cursor, orgId, newest, out after))
        {
            errors["cursor"] = ["The cursor is not one this API returned for this org and order."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var query = new AuditQuery(action, outcome, actor, workspaceId, targetType, targetId, streamId, correlationId, from, to, newest);
        var (items, more) = await AuditTrail.QueryAsync(session, orgId, query, cursor is null ? null : after, take, http.RequestAborted);
        return TypedResults.Ok(AuditTrail.Page(items, more ? cursors.Encode(orgId, newest, AuditPosition.Of(items[^1])) : null));
    }

    private static bool Invalid(Dictionary<string, string[]> errors, string name, string message)
    {
        errors[name] = [message];
        return false;
    }
}
