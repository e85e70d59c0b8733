using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Marten;

namespace EnvForge.Api.Organizations;

public sealed record RegisterOrganizationRequest(string? Name)
{
    public sealed class Validator : AbstractValidator<RegisterOrganizationRequest>
    {
        public Validator() => RuleFor(r => r.Name).NotEmpty().ValidName();
    }
}

internal static class RegisterOrganizationHandler
{
    /// <summary>Any signed-in user may register an org; they become its first Owner.</summary>
    public static async Task<IResult> HandleAsync(HttpContext http, IDocumentSession session, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<RegisterOrganizationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var subject = http.User.Subject();
        var command = new RegisterOrganization(
            Guid.CreateVersion7(now), body!.Name!.Trim(), ExternalIds.New(), subject, http.User.DisplayName(), now);
        var decision = OrganizationDecider.Decide(command, null);
        if (decision.Rejection is { } rejection)
        {
            return Problems.From(rejection);
        }

        session.Events.StartStream<Organization>(command.OrgId, decision.Events);
        await session.SaveChangesAsync(http.RequestAborted);

        var org = decision.Events.Cast<IOrganizationEvent>().Aggregate((Organization?)null, Organization.Evolve)!;
        ETags.Set(http.Response, decision.Events.Count);
        return TypedResults.Created($"/orgs/{org.Id}", OrganizationResponse.From(org, subject, decision.Events.Count));
    }
}
