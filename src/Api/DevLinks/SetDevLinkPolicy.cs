using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.DevLinks;

public sealed record DevLinkPolicyRequest(int? DefaultExpiryMinutes, int? MaximumExpiryMinutes)
{
    public sealed class Validator : AbstractValidator<DevLinkPolicyRequest>
    {
        public Validator()
        {
            RuleFor(r => r.DefaultExpiryMinutes).NotNull().GreaterThan(0);
            RuleFor(r => r.MaximumExpiryMinutes).NotNull().GreaterThan(0);
        }
    }
}

/// <summary>Sets the dev-link expiry default and maximum (Owner/Admin): an Organization event. Honours If-Match.</summary>
internal static class SetDevLinkPolicyHandler
{
    public static async Task<Results<Ok<DevLinkPolicyResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<DevLinkPolicyRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var subject = http.User.Subject();
        var policy = new DevLinkPolicy(TimeSpan.FromMinutes(body!.DefaultExpiryMinutes!.Value), TimeSpan.FromMinutes(body.MaximumExpiryMinutes!.Value));
        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManagePolicy, member: null,
            (_, memberships) => new SetDevLinkPolicy(orgId, policy, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused ? refused : TypedResults.Ok(DevLinkPolicyResponse.From(result.State.DevLinkPolicy));
    }
}
