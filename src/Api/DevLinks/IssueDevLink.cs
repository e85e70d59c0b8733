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

/// <param name="ExpiresInMinutes">Null for the org's default.</param>
/// <param name="Audience">Null (or naming nobody) for anyone with the link.</param>
public sealed record IssueDevLinkRequest(string? Service, List<string>? Surfaces, int? ExpiresInMinutes, AudienceRequest? Audience = null)
{
    public sealed class Validator : AbstractValidator<IssueDevLinkRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Service).NotEmpty().MaximumLength(40);
            RuleFor(r => r.Surfaces).NotEmpty();
            RuleForEach(r => r.Surfaces).Must(DevLinkSurfaces.IsName).WithMessage(DevLinkSurfaces.Message);
            RuleFor(r => r.ExpiresInMinutes).GreaterThan(0).LessThanOrEqualTo((int)DevLinkPolicy.Ceiling.TotalMinutes * 10);
            RuleFor(r => r.Audience!).SetValidator(new AudienceRequest.Validator()).When(r => r.Audience is not null);
        }
    }
}

/// <summary>
/// Issues a signed link to one service's surfaces (Developer+): authorize -> validate -> decide -> (Temporal?) -> start the
/// expiry timer -> append. The token is in the answer's url, once; the stream holds its hash and key id only.
/// </summary>
internal static class IssueDevLinkHandler
{
    public static async Task<Results<Created<IssuedDevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IQuerySession session, StreamCommands commands, IDevLinkWorkflows workflows,
        DevLinkSigner signer, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (org, role, denied) = await OrgAccess.LoadAsync(session, orgId, subject, Permission.UseWorkspaces, ct);
        if (denied is not null)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<IssueDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        var audience = body!.Audience?.ToAudience();
        var now = time.GetUtcNow();
        var linkId = Guid.CreateVersion7(now);
        var (token, hash) = signer.IssueToken(linkId, generation: 1);
        var command = new IssueDevLink(
            linkId, orgId, workspaceId, body!.Service!, WorkspaceInOrg: workspace is not null && workspace.OrgId == orgId && workspace.IsLive,
            ServiceDeclared: workspace?.Services.Any(s => s.Name == body.Service) ?? false, role, org!.DevLinkPolicy,
            body.ExpiresInMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, DevLinkSurfaces.Parse(body.Surfaces!),
            signer.CurrentKeyId, hash, subject, now)
        {
            Audience = audience,
            ServiceKind = workspace?.Services.FirstOrDefault(s => s.Name == body.Service)?.Kind ?? ServiceKind.App,
            Members = await MemberDirectory.MembersAmongAsync(session, orgId, audience?.Users ?? [], ct),
        };

        // The timer first: a link on the stream always has its expiry recorded in time (the gateway enforces it regardless).
        var result = await commands.ExecuteAsync(http, DevLinkDecider.Decider, linkId, _ => command,
            beforeAppend: async (link, ct) =>
            {
                if (workflows.UnavailableReason is { } unavailable)
                {
                    return Problems.WorkflowsUnavailable(unavailable);
                }

                await workflows.StartExpiryAsync(new DevLinkExpiryInput(linkId, link.ExpiresAt.UtcDateTime), ct);
                return null;
            });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        return TypedResults.Created($"/orgs/{orgId}/dev-links/{linkId}",
            new IssuedDevLinkResponse(DevLinkResponse.From(result.State, now, gateway.Value), gateway.Value.OpenUrl(linkId, token)));
    }
}
