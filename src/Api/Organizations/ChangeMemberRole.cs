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
        var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId,
            _ => new ChangeMemberRole(orgId, userId, role, subject, time.GetUtcNow()),
            authorize: org => OrgAccess.Refusal(org, subject, Permission.ManageMembers));
        return result.Problem is { } refused ? refused : TypedResults.Ok(MemberResponse.From(userId, result.State.Members[userId]));
    }
}
