using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
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
        var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId,
            _ => new RegisterOrganization(orgId, body!.Name!.Trim(), ExternalIds.New(), subject, http.User.DisplayName(), now));
        if (result.Problem is { } refused)
        {
            return refused;
        }

        return TypedResults.Created($"/orgs/{orgId}", OrganizationResponse.From(result.State, subject, result.Version));
    }
}
