using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

public sealed record SurfacesRequest(List<string>? Surfaces)
{
    public sealed class Validator : AbstractValidator<SurfacesRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Surfaces).NotEmpty();
            RuleForEach(r => r.Surfaces).Must(DevLinkSurfaces.IsName).WithMessage(DevLinkSurfaces.Message);
        }
    }
}

/// <summary>Changes which surfaces the link opens (issuer, Admin, Owner).</summary>
internal static class ChangeDevLinkSurfacesHandler
{
    public static async Task<Results<Ok<DevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, StreamCommands commands, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<SurfacesRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var result = await LinkCommand.ExecuteAsync(orgId, linkId, http, session, commands,
            (_, role, subject) => new ChangeDevLinkSurfaces(linkId, orgId, role, DevLinkSurfaces.Parse(body!.Surfaces!), subject, time.GetUtcNow()));
        return result.Problem is { } refused ? refused : TypedResults.Ok(DevLinkResponse.From(result.State, time.GetUtcNow(), gateway.Value));
    }
}
