using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

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

/// <summary>Adds a member (Owner/Admin; only Owners grant Owner). The same add again changes nothing and answers 200.</summary>
internal static class AddMemberHandler
{
    public static async Task<Results<Created<MemberResponse>, Ok<MemberResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<AddMemberRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var subject = http.User.Subject();
        var role = OrganizationRules.ParseRole(body!.Role!);
        var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId,
            _ => new AddMember(orgId, body.UserId!, body.DisplayName, role, subject, time.GetUtcNow()),
            authorize: org => OrgAccess.Refusal(org, subject, Permission.ManageMembers));
        if (result.Problem is { } refused)
        {
            return refused;
        }

        var member = MemberResponse.From(body.UserId!, result.State.Members[body.UserId!]);
        return result.Changed
            ? TypedResults.Created($"/orgs/{orgId}/members/{Uri.EscapeDataString(body.UserId!)}", member)
            : TypedResults.Ok(member);
    }
}
