using EnvForge.Api.DevLinks;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Projections.DevLinks;
using EnvForge.Projections.Infrastructure;

namespace EnvForge.Api.Gateway;

/// <summary>
/// Opening a link (<c>/__envforge/open</c>): a valid link token, or for a link with an audience a one-use ticket from
/// <c>POST /dev-links/open</c>, becomes the session cookie, then a redirect drops the token from the address bar. The
/// first use of each token generation is recorded on the link's stream, through the API's command path.
/// </summary>
public sealed class LinkOpening(
    DevLinkDirectory directory, DevLinkSigner signer, SessionCookie sessions, UsedTickets tickets, StreamCommands commands, TimeProvider time,
    ILogger<LinkOpening> logger)
{
    public const string Path = "/__envforge/open";

    private static readonly Refusal Invalid = new(StatusCodes.Status404NotFound, "This dev link is not valid (mistyped, rotated or not for this address).");
    private static readonly Refusal InvalidTicket = new(
        StatusCodes.Status404NotFound, "This open ticket is not valid (mistyped, for another link, or the link was rotated).");
    private static readonly Refusal Ended = new(StatusCodes.Status410Gone, "This dev link was revoked or has expired.");
    private static readonly Refusal SignIn = new(StatusCodes.Status401Unauthorized, LinkAccess.SignInToOpen);
    private static readonly Refusal TicketExpired = new(StatusCodes.Status401Unauthorized, "This open ticket has expired. " + LinkAccess.SignInToOpen);
    private static readonly Refusal TicketUsed = new(StatusCodes.Status401Unauthorized, "This open ticket was already used. " + LinkAccess.SignInToOpen);
    private static readonly Refusal NotShared = new(StatusCodes.Status403Forbidden, LinkAccess.NotShared);

    private readonly record struct Opened(LinkBinding? Link, string? Subject, Refusal? Refusal)
    {
        public static implicit operator Opened(Refusal refusal) => new(null, null, refusal);
    }

    public async Task OpenAsync(HttpContext http, Guid linkId)
    {
        var ticket = http.Request.Query["ticket"];
        var opened = ticket.Count > 0 ? WithTicket(ticket.ToString(), linkId) : WithToken(http.Request.Query["token"].ToString(), linkId);
        if (opened.Refusal is { } refusal)
        {
            await refusal.WriteAsync(http);
            return;
        }

        var link = opened.Link!;
        sessions.Write(http.Response, signer.IssueSession(linkId, link.Generation, link.ExpiresAt, opened.Subject), link.ExpiresAt);
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = "/";
        if (!link.FirstUseRecorded)
        {
            await RecordFirstUseAsync(link, opened.Subject ?? "gateway", http.RequestAborted);
        }
    }

    /// <summary>A token: signed, for this host's link and its current generation, the stored hash, the link usable; anyone's, unless it has an audience.</summary>
    private Opened WithToken(string token, Guid linkId)
    {
        if (!signer.TryReadToken(token, out var signed) || signed.LinkId != linkId || !directory.TryGetLink(linkId, out var link)
            || signed.Generation != link.Generation
            || !DevLinkSigner.HashMatches(token, link.TokenHash))
        {
            return Invalid;
        }

        if (!link.IsUsable(time.GetUtcNow()))
        {
            return Ended;
        }

        return link.Audience is null ? new Opened(link, null, null) : SignIn;
    }

    /// <summary>A ticket: signed, for this host's link and its current generation, unexpired, unused, for someone the link is shared with.</summary>
    private Opened WithTicket(string ticket, Guid linkId)
    {
        var now = time.GetUtcNow();
        if (!signer.TryReadTicket(ticket, out var signed) || signed.LinkId != linkId || !directory.TryGetLink(linkId, out var link)
            || signed.Generation != link.Generation)
        {
            return InvalidTicket;
        }

        if (signed.SessionExpiresAt <= now)
        {
            return TicketExpired;
        }

        if (!link.IsUsable(now))
        {
            return Ended;
        }

        if (!directory.Allows(link, signed.Subject))
        {
            return NotShared;
        }

        return tickets.TryUse(signed.Nonce!, signed.SessionExpiresAt!.Value, now) ? new Opened(link, signed.Subject, null) : TicketUsed;
    }

    private async Task RecordFirstUseAsync(LinkBinding link, string actor, CancellationToken ct)
    {
        try
        {
            await commands.DecideAsync(DevLinkDecider.Decider, link.LinkId,
                state => state is null ? null : new RecordDevLinkUse(link.LinkId, link.Generation, actor, time.GetUtcNow()),
                new WriteContext(actor), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The database unreachable for a moment: the link works either way, and the next first use records it.
            GatewayLog.FirstUseNotRecorded(logger, link.LinkId, ex);
        }
    }
}
