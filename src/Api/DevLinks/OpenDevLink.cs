using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

/// <summary>The link token from the link's URL, exchanged (signed in) for a one-use ticket that opens the link.</summary>
public sealed record OpenDevLinkRequest(string? Token)
{
    public sealed class Validator : AbstractValidator<OpenDevLinkRequest>
    {
        public Validator() => RuleFor(r => r.Token).NotEmpty().MaximumLength(256);
    }
}

/// <summary>Where to send the browser, once and within a minute, to open the link signed in.</summary>
public sealed record OpenDevLinkResponse(Guid LinkId, string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// The signed-in way in: the caller shows the link's token; if it is the link's current token, the link is usable and
/// the caller is a member allowed by its audience (any member, for a link without one), they get a one-use ticket URL.
/// A token that does not check out and a caller outside the link's org get the same 404.
/// </summary>
internal static class OpenDevLinkHandler
{
    public static async Task<Results<Ok<OpenDevLinkResponse>, ProblemHttpResult>> HandleAsync(HttpContext http, IQuerySession session, DevLinkSigner signer, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<OpenDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var ct = http.RequestAborted;
        var token = body!.Token!;
        if (!signer.TryReadToken(token, out var signed))
        {
            return Problems.NotFound("dev_link");
        }

        var link = await session.LoadAsync<DevLink>(signed.LinkId, ct);
        if (link is null || signed.Generation != link.Generation
            || !DevLinkSigner.HashMatches(token, Convert.FromHexString(link.TokenHash)))
        {
            return Problems.NotFound("dev_link");
        }

        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, link.OrgId, subject, Permission.ViewOrganization, ct);
        if (denied is not null)
        {
            return Problems.NotFound("dev_link");
        }

        var now = time.GetUtcNow();
        if (!link.IsUsable(now))
        {
            return Problems.From(DevLinkRejections.Ended);
        }

        if (link.Audience is { } audience && !audience.Allows(subject, role))
        {
            return Problems.From(DevLinkRejections.NotSharedWithYou);
        }

        // Whole seconds: what the ticket carries, so the answer's expiresAt is exactly when the gateway stops taking it.
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds((now + gateway.Value.TicketLifetime).ToUnixTimeSeconds());
        var ticket = signer.IssueTicket(link.Id, link.Generation, subject, expiresAt);
        return TypedResults.Ok(new OpenDevLinkResponse(link.Id, gateway.Value.TicketUrl(link.Id, ticket), expiresAt));
    }
}
