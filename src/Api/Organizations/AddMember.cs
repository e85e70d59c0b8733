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
        var (result, read) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManageMembers, body.UserId,
            (_, memberships) => new AddMember(orgId, body.UserId!, body.DisplayName, role, subject, time.GetUtcNow()) { Memberships = memberships });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        // Added now, or already there with this role (a repeat changes nothing and shows the member as they are).
        var member = result.Changed
            ? MemberResponse.From((MemberAdded)result.Events[0])
            : MemberResponse.From(body.UserId!, read.Member!);
        return result.Changed
            ? TypedResults.Created($"/orgs/{orgId}/members/{Uri.EscapeDataString(body.UserId!)}", member)
            : TypedResults.Ok(member);
    }
}
