using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Elevation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>The org's elevation history, newest first, filtered by workspace, requester, approver and status.</summary>
internal static class ListElevationsHandler
{
    public static async Task<Results<Ok<ElevationPage>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, Guid? workspaceId, string? requester, string? approver, string? status, string? cursor, int? limit)
    {
        if (await ElevationAccess.CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        ElevationStatus? statusFilter = null;
        if (status is not null)
        {
            if (EnumNames.TryParse<ElevationStatus>(status, ignoreCase: true, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Status must be one of: {string.Join(", ", Enum.GetNames<ElevationStatus>())}."];
            }
        }

        foreach (var (name, value) in new[] { ("requester", requester), ("approver", approver) })
        {
            if (value is { Length: > OrganizationRules.MaxUserIdLength })
            {
                errors[name] = [$"At most {OrganizationRules.MaxUserIdLength} characters."];
            }
        }

        if (!Paging.TryRead(cursor, limit, errors, out Guid? before, out var take) || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var page = await ElevationHistory.HistoryAsync(
            session, orgId, new ElevationHistoryFilter(workspaceId, requester, approver, statusFilter), before, take, http.RequestAborted);
        return TypedResults.Ok(new ElevationPage([.. page.Items.Select(r => ElevationResponse.From(r))], page.NextCursor));
    }
}
