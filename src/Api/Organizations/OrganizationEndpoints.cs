using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Organizations;
using Marten;

namespace EnvForge.Api.Infrastructure;

public static class OrganizationEndpoints
{
    public static IEndpointRouteBuilder MapOrganizationEndpoints(this IEndpointRouteBuilder app)
    {
        var orgs = app.MapGroup("/orgs").RequireAuthorization().WithTags("Organizations");

        orgs.MapPost("/", RegisterOrganizationHandler.HandleAsync)
            .WithSummary("Register an organization; the caller becomes its first Owner.");
        orgs.MapGet("/", ListMyOrganizationsAsync).WithSummary("The organizations the caller belongs to, with their role.");
        orgs.MapGet("/{orgId:guid}", GetOrganizationAsync).WithSummary("One organization (members only).");

        var members = orgs.MapGroup("/{orgId:guid}/members");
        members.MapGet("/", ListMembersAsync).WithSummary("Members, filtered by role or id/name prefix, cursor-paginated (Owner, Admin, Support, Auditor).");
        members.MapGet("/{userId}", GetMemberAsync).WithSummary("One member (Owner, Admin, Support, Auditor).");
        members.MapPost("/", ManageMembersHandlers.AddAsync).WithSummary("Add a member with a role (Owner/Admin; only Owners grant Owner).");
        members.MapPut("/{userId}/role", ManageMembersHandlers.ChangeRoleAsync).WithSummary("Change a member's role; honours If-Match.");
        members.MapDelete("/{userId}", ManageMembersHandlers.RemoveAsync).WithSummary("Remove a member; the last Owner cannot be removed.");
        return app;
    }

    private static async Task<IResult> ListMyOrganizationsAsync(HttpContext http, IQuerySession session)
    {
        var memberships = await MemberDirectory.MembershipsOfAsync(session, http.User.Subject(), http.RequestAborted);
        return TypedResults.Ok(memberships.Select(m => new MembershipResponse(m.OrgId, m.Role)).ToList());
    }

    private static async Task<IResult> GetOrganizationAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var subject = http.User.Subject();
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        if (OrgAccess.Check(org, subject, Permission.ViewOrganization) is { } denied)
        {
            return denied;
        }

        var state = await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted);
        var version = state?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(OrganizationResponse.From(org!, subject, version));
    }

    private static async Task<IResult> ListMembersAsync(
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

        if (!Paging.TryRead(cursor, limit, errors, out string after, out var take))
        {
            return Problems.Validation(errors);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var page = await MemberDirectory.QueryAsync(session, orgId, new MemberFilter(roleFilter, search), after, take, http.RequestAborted);
        return TypedResults.Ok(new MemberPage(page.Items.Select(MemberResponse.From).ToList(), page.NextCursor));
    }

    private static async Task<IResult> GetMemberAsync(Guid orgId, string userId, HttpContext http, IQuerySession session)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ReadMembers, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var member = await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, userId), http.RequestAborted);
        return member is null
            ? Problems.Problem(StatusCodes.Status404NotFound, "organization.unknown_member", "Not found", $"'{userId}' is not a member of this organization.")
            : TypedResults.Ok(MemberResponse.From(member));
    }
}
