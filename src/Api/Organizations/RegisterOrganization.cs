using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

public sealed record RegisterOrganizationRequest(string? Name)
{
    public sealed class Validator : AbstractValidator<RegisterOrganizationRequest>
    {
        public Validator() => RuleFor(r => r.Name).NotEmpty().ValidName();
    }
}

/// <summary>Any signed-in user may register an org; they become its first Owner. The org's AWS external ID is generated here.</summary>
internal static class RegisterOrganizationHandler
{
    public static async Task<Results<Created<OrganizationResponse>, ProblemHttpResult>> HandleAsync(
        HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<RegisterOrganizationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var subject = http.User.Subject();
        var orgId = Guid.CreateVersion7(now);
        // A fresh id: the stream is new, unless this is a retry, which the decider recognises by the caller's membership.
        var result = await commands.ExecuteAsync<IOrganizationCommand, Organization>(http, OrganizationDecider.Decider, orgId, async (org, session, ct) =>
            new RegisterOrganization(orgId, body!.Name!.Trim(), ExternalIds.New(), subject, http.User.DisplayName(), now)
            {
                Memberships = org is null ? Memberships.None : await MemberDirectory.MembershipsAsync(session, orgId, subject, null, ct),
            });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        return TypedResults.Created($"/orgs/{orgId}", OrganizationResponse.From(result.State, Role.Owner, result.Version));
    }
}
