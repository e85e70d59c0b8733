using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

public sealed record ChangeRoleRequest(string? Role)
{
    public sealed class Validator : AbstractValidator<ChangeRoleRequest>
    {
        public Validator() => RuleFor(r => r.Role).ValidRole();
    }
}

/// <summary>Changes a member's role (Owner/Admin; touching an Owner is an Owner's call); the last Owner cannot be demoted. Honours If-Match.</summary>
internal static class ChangeMemberRoleHandler
{
    public static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, string userId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<ChangeRoleRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var subject = http.User.Subject();
        var role = OrganizationRules.ParseRole(body!.Role!);
        var (result, read) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManageMembers, userId,
            (_, memberships) => new ChangeMemberRole(orgId, userId, role, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused ? refused : TypedResults.Ok(MemberResponse.From(userId, read.Member! with { Role = role }));
    }
}
