using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

/// <summary>Members by user id, filtered by role or an id/name prefix, keyset-paginated (Owner, Admin, Support, Auditor).</summary>
internal static class ListMembersHandler
{
    public static async Task<Results<Ok<MemberPage>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, string? role, string? search, string? cursor, int? limit)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ReadMembers, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        Role? roleFilter = null;
        if (role is not null)
        {
            if (EnumNames.TryParse<Role>(role, ignoreCase: true, out var parsed))
            {
                roleFilter = parsed;
            }
            else
            {
                errors["role"] = [$"Role must be one of: {OrganizationRules.RoleNames}."];
            }
        }

        if (search is { Length: > OrganizationRules.MaxUserIdLength })
        {
            errors["search"] = [$"At most {OrganizationRules.MaxUserIdLength} characters."];
        }

        if (!Paging.TryRead(cursor, limit, errors, out string after, out var take) || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var page = await MemberDirectory.QueryAsync(session, orgId, new MemberFilter(roleFilter, search), after, take, http.RequestAborted);
        return TypedResults.Ok(new MemberPage(page.Items.Select(MemberResponse.From).ToList(), page.NextCursor));
    }
}
