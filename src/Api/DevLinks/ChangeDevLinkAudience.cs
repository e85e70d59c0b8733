using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Organizations;
using EnvForge.Workflows.DevLinks;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

/// <summary>
/// Who may open a link beyond holding it: org members by subject, and everyone holding one of the roles. Both empty:
/// anyone with the link. Whoever is named signs in to EnvForge to open it (<c>POST /dev-links/open</c>).
/// </summary>
public sealed record AudienceRequest(List<string>? Users, List<string>? Roles)
{
    public DevLinkAudience? ToAudience() => DevLinkAudience.Normalize(Users, [.. (Roles ?? []).Select(Enum.Parse<Role>)]);

    public sealed class Validator : AbstractValidator<AudienceRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Users).Must(u => u is null || u.Distinct(StringComparer.Ordinal).Count() <= DevLinkAudience.MaxUsers)
                .WithMessage($"Name at most {DevLinkAudience.MaxUsers} users; share with a role instead.");
            RuleForEach(r => r.Users).NotEmpty().MaximumLength(DevLinkAudience.MaxSubjectLength);
            RuleForEach(r => r.Roles).Must(r => EnumNames.IsName<Role>(r)).WithMessage($"Roles are: {string.Join(", ", Enum.GetNames<Role>())}.");
        }
    }
}

/// <summary>Shares the link with named members and roles only, or (naming nobody) with anyone who has it (issuer, Admin, Owner).</summary>
internal static class ChangeDevLinkAudienceHandler
{
    public static async Task<Results<Ok<DevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<AudienceRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        // Named users must be members now (read by key). The command path still answers a non-member 404 before anything is decided.
        var audience = body!.ToAudience();
        var members = await MemberDirectory.MembersAmongAsync(session, orgId, audience?.Users ?? [], http.RequestAborted);
        var result = await LinkCommand.ExecuteAsync(orgId, linkId, http, session, commands,
            (_, role, subject) => new ChangeDevLinkAudience(linkId, orgId, role, audience, members, subject, time.GetUtcNow()));
        return result.Problem is { } refused ? refused : TypedResults.Ok(DevLinkResponse.From(result.State, time.GetUtcNow(), gateway.Value));
    }
}
