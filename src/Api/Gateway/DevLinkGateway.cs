using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Projections.Audit;
using EnvForge.Projections.DevLinks;
using Microsoft.AspNetCore.Http.Features;

namespace EnvForge.Api.Gateway;

/// <summary>
/// The dev-URL gateway: a reverse proxy in front of workspace runtimes, on the hosts <c>{linkId:N}.{Gateway:Domain}</c>.
/// <see cref="HandleAsync"/> is the request pipeline, top to bottom; each step is a part of its own: the link's host and
/// origin (<see cref="LinkHosts"/>), what the request is (<see cref="RequestKinds"/>), its path (<see cref="GatewayPaths"/>),
/// opening a link (<see cref="LinkOpening"/>), the session cookie (<see cref="SessionCookie"/>), the access rules against
/// the in-memory directory (<see cref="LinkAccess"/>), what is open through a link (<see cref="LiveRequests"/>), waking the
/// workspace (<see cref="KeepAwake"/>) and the hop to the app (<see cref="UpstreamForwarder"/>). What a caller is refused on
/// a known link is counted for the audit trail (<see cref="IGatewayRefusals"/>: a counter, no I/O on this path).
/// </summary>
public sealed class DevLinkGateway(
    LinkHosts hosts, LinkOpening opening, SessionCookie sessions, LinkAccess access, LiveRequests live, KeepAwake keepAwake, UpstreamForwarder upstream,
    DevLinkDirectory directory, IGatewayRefusals refusals, TimeProvider time)
{
    public const string OpenPath = LinkOpening.Path;

    private static readonly Refusal NoLinkHere = new(StatusCodes.Status404NotFound, "No dev link lives at this address.");
    private static readonly Refusal MethodNotAllowed = new(StatusCodes.Status405MethodNotAllowed, "This method is not allowed through a dev link.", Code: "method");
    private static readonly Refusal TwoSessions = new(
        StatusCodes.Status400BadRequest, "This request carries more than one dev-link session cookie; clear this site's cookies and open the link again.", Code: "two_sessions");
    private static readonly Refusal NotCanonical = new(StatusCodes.Status400BadRequest, "This path is not in canonical form.", Code: "not_canonical");
    private static readonly Refusal NeverReachable = new(StatusCodes.Status403Forbidden, "This surface is never reachable through a dev link.", Code: "blocked_path");
    private static readonly Refusal NotAWebSocket = new(StatusCodes.Status400BadRequest, "Only valid WebSocket handshakes are upgraded through a dev link.", Code: "not_websocket");
    private static readonly Refusal ForeignOrigin = new(StatusCodes.Status403Forbidden, "This request comes from another origin than the dev link's own.", Code: "foreign_origin");

    /// <summary>Whether a request is for the gateway (its host is a link's host) rather than the API.</summary>
    public bool IsGatewayHost(HttpContext http) => hosts.IsGatewayHost(http);

    public async Task HandleAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";

        // 1. The link: its host names it, and the directory must be current enough to know its fate.
        if (!hosts.TryReadLinkId(http.Request.Host.Host, out var linkId))
        {
            await NoLinkHere.WriteAsync(http);
            return;
        }

        if (access.Unchecked is { } stale)
        {
            await stale.WriteAsync(http);
            return;
        }

        // 2. What the request is: a WebSocket handshake only if it is a valid one; CONNECT (but HTTP/2's) and TRACE never.
        var kind = RequestKinds.Of(http);
        if (kind == RequestKind.ForbiddenMethod)
        {
            await RefuseAsync(http, linkId, MethodNotAllowed);
            return;
        }

        // 3. The raw target, as the app will see it. The open path is the gateway's own (blocked as an app surface).
        var verdict = GatewayPaths.Check(http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.ToString(), out var path);
        if (verdict != PathVerdict.Trick && path == OpenPath)
        {
            await opening.OpenAsync(http, linkId);
            return;
        }

        var surface = kind == RequestKind.WebSocketHandshake ? DevLinkSurface.WebSockets
            : verdict == PathVerdict.Clean ? GatewayPaths.Classify(path)
            : DevLinkSurface.Web; // refused below: not canonical, or blocked

        // 4. Who: exactly one session cookie, validly signed. From here on the request is live: a change to its link reaches it.
        var presence = sessions.Read(http.Request, out var cookie);
        if (presence == SessionPresence.Conflicting)
        {
            await RefuseAsync(http, linkId, TwoSessions);
            return;
        }

        SignedLink? session = presence == SessionPresence.One && sessions.TryVerify(cookie, out var signed) ? signed : null;
        using var request = live.Enter(linkId, session, surface);

        // 5. The session opens this link, as things stand now.
        var admission = access.Admit(linkId, session, time.GetUtcNow());
        if (admission.Refusal is { } refused)
        {
            await RefuseAsync(http, linkId, refused);
            return;
        }

        // 6. The path is canonical and not a surface any link opens.
        if (verdict != PathVerdict.Clean)
        {
            await RefuseAsync(http, linkId, verdict == PathVerdict.Trick ? NotCanonical : NeverReachable);
            return;
        }

        // 7. The surface is one of the link's, the service an app of a live workspace.
        var destination = access.Allow(admission.Link!, surface);
        if (destination.Refusal is { } closed)
        {
            await RefuseAsync(http, linkId, closed);
            return;
        }

        // 8. An upgrade that is not a valid WebSocket handshake goes no further (whatever follows it is the raw connection).
        if (kind == RequestKind.InvalidUpgrade)
        {
            await RefuseAsync(http, linkId, NotAWebSocket);
            return;
        }

        // 9. A request that acts (a handshake, an unsafe method) comes from the link's own origin.
        if (!hosts.IsFromOwnOrigin(http, linkId, kind == RequestKind.WebSocketHandshake))
        {
            await RefuseAsync(http, linkId, ForeignOrigin);
            return;
        }

        // 10. The workspace is awake (else woken, and the browser told to retry); traffic keeps it awake.
        var runtime = destination.Runtime!;
        if (!runtime.Awake)
        {
            await (await keepAwake.WakeAsync(linkId, runtime, http.RequestAborted)).WriteAsync(http);
            return;
        }

        keepAwake.Heartbeat(runtime.WorkspaceId);

        // 11. To the app, until it is done or the link no longer lets it through (then the refusal, if nothing was sent yet).
        await upstream.SendAsync(http, linkId, runtime, admission.Link!.Service, destination.Port, kind == RequestKind.WebSocketHandshake, request.Token);
        if (request.Closed is { } ended && !http.Response.HasStarted)
        {
            await ended.WriteAsync(http);
        }
    }

    /// <summary>Answers the refusal; one of a caller's request on a link the directory knows is counted for the audit trail.</summary>
    private Task RefuseAsync(HttpContext http, Guid linkId, Refusal refusal)
    {
        if (refusal.Code is { } code && directory.TryGetLink(linkId, out var link))
        {
            refusals.Refused(link.OrgId, linkId, link.WorkspaceId, code);
        }

        return refusal.WriteAsync(http);
    }
}
