using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Marten;

namespace EnvForge.Api.Organizations;

public sealed record AddMemberRequest(string? UserId, string? Role, string? DisplayName)
{
    public sealed class Validator : AbstractValidator<AddMemberRequest>
    {
        public Validator()
        {
            RuleFor(r => r.UserId).ValidUserId();
            RuleFor(r => r.Role).ValidRole();
            RuleFor(r => r.DisplayName).ValidName();
        }
    }
}

public sealed record ChangeRoleRequest(string? Role)
{
    public sealed class Validator : AbstractValidator<ChangeRoleRequest>
    {
        public Validator() => RuleFor(r => r.Role).ValidRole();
    }
}

internal static class ManageMembersHandlers
{
    public static async Task<IResult> AddAsync(Guid orgId, HttpContext http, IDocumentSession session, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<AddMemberRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var role = OrganizationRules.ParseRole(body!.Role!);
        return await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManageMembers,
            _ => new AddMember(orgId, body.UserId!, body.DisplayName, role, http.User.Subject(), time.GetUtcNow()),
            (org, _, changed) =>
            {
                var member = MemberResponse.From(body.UserId!, org.Members[body.UserId!]);
                return changed ? TypedResults.Created($"/orgs/{orgId}/members/{Uri.EscapeDataString(body.UserId!)}", member) : TypedResults.Ok(member);
            });
    }

    public static async Task<IResult> ChangeRoleAsync(Guid orgId, string userId, HttpContext http, IDocumentSession session, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<ChangeRoleRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var role = OrganizationRules.ParseRole(body!.Role!);
        return await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManageMembers,
            _ => new ChangeMemberRole(orgId, userId, role, http.User.Subject(), time.GetUtcNow()),
            (org, _, _) => TypedResults.Ok(MemberResponse.From(userId, org.Members[userId])));
    }

    public static Task<IResult> RemoveAsync(Guid orgId, string userId, HttpContext http, IDocumentSession session, TimeProvider time) =>
        OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManageMembers,
            _ => new RemoveMember(orgId, userId, http.User.Subject(), time.GetUtcNow()),
            (_, _, _) => TypedResults.NoContent());
}
