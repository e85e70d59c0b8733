using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

/// <summary>A new token for the link (issuer, Admin, Owner): the old one and every session opened with it stop at once.</summary>
internal static class RotateDevLinkHandler
{
    public static async Task<Results<Ok<IssuedDevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, StreamCommands commands, DevLinkSigner signer, IOptions<GatewayOptions> gateway,
        TimeProvider time)
    {
        string? token = null;
        var result = await LinkCommand.ExecuteAsync(orgId, linkId, http, session, commands, (link, role, subject) =>
        {
            var (fresh, hash) = signer.IssueToken(linkId, link.Generation + 1);
            token = fresh; // the last attempt's token is the one whose hash is appended
            return new RotateDevLink(linkId, orgId, role, signer.CurrentKeyId, hash, subject, time.GetUtcNow());
        });
        return result.Problem is { } refused
            ? refused
            : TypedResults.Ok(new IssuedDevLinkResponse(DevLinkResponse.From(result.State, time.GetUtcNow(), gateway.Value), gateway.Value.OpenUrl(linkId, token!)));
    }
}
