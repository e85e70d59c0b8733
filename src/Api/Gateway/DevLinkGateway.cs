using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Api.Gateway;

/// <summary>
/// The dev-URL gateway: a reverse proxy (YARP's forwarder) in front of workspace runtimes, on the hosts
/// <c>{linkId:N}.{Gateway:Domain}</c>. Every request is checked against the in-memory <see cref="DevLinkDirectory"/>
/// (no database round trip): a signed session cookie (set by <c>/__envforge/open?token=</c>, or <c>?ticket=</c> for a
/// link with an audience) bound to this host's link and its current token generation; for a link with an audience, the
/// session's person still a member and still in it; the link not revoked and not past its expiry by this clock; the path
/// canonical and on an allowed surface; then the request goes to that one service of that one workspace, waking it if asleep.
/// </summary>
public sealed partial class DevLinkGateway(
    DevLinkDirectory directory,
    DevLinkSigner signer,
    IHttpForwarder forwarder,
    IWorkspaceWorkflows workflows,
    IOptions<GatewayOptions> options,
    IOptions<DevLinkDirectoryOptions> feed,
    TimeProvider time,
    Marten.IDocumentStore store,
    StreamCommands commands,
    ILogger<DevLinkGateway> logger,
    IServiceAddresses? addresses = null) : IDisposable
{
    public const string OpenPath = "/__envforge/open";

    private readonly GatewayOptions _options = options.Value;
    private readonly string _hostSuffix = "." + options.Value.Domain.ToLowerInvariant();
    private readonly HttpMessageInvoker _client = new(CreateUpstreamHandler());

    /// <summary>How the gateway reaches upstreams: no proxy, redirects, decompression, cookies or trace headers of its own.</summary>
    public static SocketsHttpHandler CreateUpstreamHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    };

    /// <summary>How often a forwarded request tells the runtime workflow the workspace is in use (its idle timer restarts).</summary>
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(60);

    /// <summary>A burst of requests to a sleeping workspace sends one wake signal, not one each.</summary>
    private static readonly TimeSpan WakeEvery = TimeSpan.FromSeconds(10);

    /// <summary>Verified session cookies (the HMAC check is the costliest step of a request); state is still checked every time.</summary>
    private const int MaxCachedSessions = 10_000;

    private readonly ConcurrentDictionary<string, SignedLink> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, long> _lastHeartbeat = new();
    private readonly ConcurrentDictionary<Guid, long> _lastWake = new();
    private readonly TimeSpan _maxStaleness = feed.Value.MaxStaleness;
    private readonly UsedTickets _tickets = new();

    private readonly ForwarderRequestConfig _requestConfig = new() { ActivityTimeout = options.Value.UpstreamTimeout };
    private readonly LinkTransformer _transformer = new(options.Value.CookieName);

    /// <summary>Whether a request is for the gateway (its host is a link's host) rather than the API.</summary>
    public bool IsGatewayHost(HttpContext http) =>
        _options.Domain.Length > 0 && http.Request.Host.Host.EndsWith(_hostSuffix, StringComparison.OrdinalIgnoreCase);

    public async Task HandleAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (!TryReadLinkId(http.Request.Host.Host, out var linkId))
        {
            await RefuseAsync(http, StatusCodes.Status404NotFound, "No dev link lives at this address.");
            return;
        }

        if (!directory.IsCurrent(time, _maxStaleness))
        {
            // Starting, or cut off from the database: a revocation it cannot see must not be served past.
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "The gateway cannot check links right now; try again in a moment.", retryAfter: 2);
            return;
        }

        var upgrade = UpgradeOf(http);
        if (HttpMethods.IsConnect(http.Request.Method) && upgrade != Upgrade.WebSocket || HttpMethods.IsTrace(http.Request.Method))
        {
            await RefuseAsync(http, StatusCodes.Status405MethodNotAllowed, "This method is not allowed through a dev link.");
            return;
        }

        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.ToString();
        var verdict = GatewayPaths.Check(rawTarget, out var path);
        // The open path is the gateway's own: its first segment is blocked as an app surface, so it is never Clean.
        if (verdict != PathVerdict.Trick && path == OpenPath)
        {
            await OpenAsync(http, linkId);
            return;
        }

        if (!TryAuthorize(http, linkId, out var link, out var refusal))
        {
            await RefuseAsync(http, refusal.Status, refusal.Detail);
            return;
        }

        if (verdict != PathVerdict.Clean)
        {
            await RefuseAsync(http, verdict == PathVerdict.Trick ? StatusCodes.Status400BadRequest : StatusCodes.Status403Forbidden,
                verdict == PathVerdict.Trick ? "This path is not in canonical form." : "This surface is never reachable through a dev link.");
            return;
        }

        if (upgrade == Upgrade.Other)
        {
            // YARP tunnels any upgrade the upstream accepts (SPDY, ...): only a WebSocket handshake opens a tunnel, and only on that surface.
            await RefuseAsync(http, StatusCodes.Status400BadRequest, "Only WebSocket upgrades pass through a dev link.");
            return;
        }

        var surface = upgrade == Upgrade.WebSocket ? DevLinkSurface.WebSockets : GatewayPaths.Classify(path);
        if (!link.Surfaces.Contains(surface))
        {
            await RefuseAsync(http, StatusCodes.Status403Forbidden, $"This link does not open the {surface} surface.");
            return;
        }

        if (!directory.TryGetRuntime(link.WorkspaceId, out var runtime) || !runtime.Live || runtime.OrgId != link.OrgId
            || !runtime.ServicePorts.TryGetValue(link.Service, out var port))
        {
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "The workspace is not running.", retryAfter: 30);
            return;
        }

        if (!runtime.Awake)
        {
            await WakeAsync(http, link, runtime);
            return;
        }

        KeepAwake(runtime.WorkspaceId);
        var error = await forwarder.SendAsync(http, await UpstreamAsync(runtime, link.Service, port, http.RequestAborted), _client, _requestConfig, _transformer);
        if (error != ForwarderError.None && !http.Response.HasStarted)
        {
            LogUpstreamFailed(logger, link.LinkId, error);
        }
    }

    /// <summary>Traffic through a link is activity: at most once a minute per workspace, restart its idle timer (fire and forget).</summary>
    private void KeepAwake(Guid workspaceId)
    {
        if (!Due(_lastHeartbeat, workspaceId, HeartbeatEvery) || workflows.UnavailableReason is not null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await workflows.HeartbeatAsync(workspaceId, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogHeartbeatFailed(logger, workspaceId, ex.GetType().Name);
            }
        });
    }

    /// <summary>True (and the time noted) when the last time for this key is older than <paramref name="every"/>.</summary>
    private bool Due(ConcurrentDictionary<Guid, long> last, Guid key, TimeSpan every)
    {
        var now = time.GetTimestamp();
        var previous = last.GetValueOrDefault(key, long.MinValue);
        if (previous != long.MinValue && time.GetElapsedTime(previous, now) < every)
        {
            return false;
        }

        return previous == long.MinValue ? last.TryAdd(key, now) : last.TryUpdate(key, now, previous);
    }

    /// <summary>
    /// First use: a valid token for this host's link (or, for a link with an audience, a one-use ticket from
    /// <c>POST /dev-links/open</c>) becomes a session cookie, then a redirect drops it from the URL.
    /// </summary>
    private async Task OpenAsync(HttpContext http, Guid linkId)
    {
        var ticket = http.Request.Query["ticket"];
        var opened = ticket.Count > 0 ? OpenWithTicket(ticket.ToString(), linkId) : OpenWithToken(http.Request.Query["token"].ToString(), linkId);
        if (opened.Refusal is { } refusal)
        {
            await RefuseAsync(http, refusal.Status, refusal.Detail);
            return;
        }

        var link = opened.Link!;
        http.Response.Cookies.Append(_options.CookieName, signer.IssueSession(linkId, link.Generation, link.ExpiresAt, opened.Subject), new CookieOptions
        {
            HttpOnly = true,
            Secure = string.Equals(_options.Scheme, "https", StringComparison.OrdinalIgnoreCase),
            SameSite = SameSiteMode.Lax,
            Path = "/",
            Expires = link.ExpiresAt,
            IsEssential = true,
        });
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = "/";
        if (!link.FirstUseRecorded)
        {
            await RecordFirstUseAsync(link, opened.Subject ?? "gateway", http.RequestAborted);
        }
    }

    private readonly record struct Opened(LinkBinding? Link, string? Subject, Refusal? Refusal);

    private Opened OpenWithToken(string token, Guid linkId)
    {
        if (!signer.TryReadToken(token, out var signed) || signed.LinkId != linkId || !directory.TryGetLink(linkId, out var link)
            || signed.Generation != link.Generation
            || !DevLinkSigner.HashMatches(token, link.TokenHash))
        {
            return Refused(StatusCodes.Status404NotFound, "This dev link is not valid (mistyped, rotated or not for this address).");
        }

        if (!link.IsUsable(time.GetUtcNow()))
        {
            return Refused(StatusCodes.Status410Gone, "This dev link was revoked or has expired.");
        }

        return link.Audience is null
            ? new Opened(link, null, null)
            : Refused(StatusCodes.Status401Unauthorized, SignInToOpen);
    }

    /// <summary>A ticket: signed, for this host's link and its current generation, unexpired, unused, for someone the link is shared with.</summary>
    private Opened OpenWithTicket(string ticket, Guid linkId)
    {
        var now = time.GetUtcNow();
        if (!signer.TryReadTicket(ticket, out var signed) || signed.LinkId != linkId || !directory.TryGetLink(linkId, out var link)
            || signed.Generation != link.Generation)
        {
            return Refused(StatusCodes.Status404NotFound, "This open ticket is not valid (mistyped, for another link, or the link was rotated).");
        }

        if (signed.SessionExpiresAt <= now)
        {
            return Refused(StatusCodes.Status401Unauthorized, "This open ticket has expired. " + SignInToOpen);
        }

        if (!link.IsUsable(now))
        {
            return Refused(StatusCodes.Status410Gone, "This dev link was revoked or has expired.");
        }

        if (!directory.Allows(link, signed.Subject))
        {
            return Refused(StatusCodes.Status403Forbidden, NotShared);
        }

        return _tickets.TryUse(signed.Nonce!, signed.SessionExpiresAt!.Value, now)
            ? new Opened(link, signed.Subject, null)
            : Refused(StatusCodes.Status401Unauthorized, "This open ticket was already used. " + SignInToOpen);
    }

    private static Opened Refused(int status, string detail) => new(null, null, new Refusal(status, detail));

    private const string SignInToOpen = "This dev link is shared with named people: sign in to EnvForge and open it there (POST /dev-links/open).";

    private const string NotShared = "This dev link is not shared with you.";

    private readonly record struct Refusal(int Status, string Detail);

    /// <summary>The session cookie: signed by a known key, for this host's link, its current generation, not ended by this clock.</summary>
    private bool TryAuthorize(HttpContext http, Guid linkId, out LinkBinding link, out Refusal refusal)
    {
        link = null!;
        var now = time.GetUtcNow();
        if (!http.Request.Cookies.TryGetValue(_options.CookieName, out var cookie) || !TryReadSession(cookie, out var session)
            || session.LinkId != linkId)
        {
            refusal = new(StatusCodes.Status401Unauthorized, "Open this dev link with its full URL first.");
            return false;
        }

        if (!directory.TryGetLink(linkId, out link) || session.Generation != link.Generation)
        {
            refusal = new(StatusCodes.Status401Unauthorized, "This dev link's session is no longer valid (the link was rotated).");
            return false;
        }

        if (!link.IsUsable(now) || session.SessionExpiresAt <= now)
        {
            refusal = new(StatusCodes.Status410Gone, "This dev link was revoked or has expired.");
            return false;
        }

        // A link with an audience: the session's person is still a member, and still in the audience, now.
        if (!directory.Allows(link, session.Subject))
        {
            refusal = session.Subject is null ? new(StatusCodes.Status401Unauthorized, SignInToOpen) : new(StatusCodes.Status403Forbidden, NotShared);
            return false;
        }

        refusal = default;
        return true;
    }

    /// <summary>The signature check, once per distinct cookie value: what was verified stays verified (the key ring is fixed per process).</summary>
    private bool TryReadSession(string cookie, out SignedLink session)
    {
        if (_sessions.TryGetValue(cookie, out session))
        {
            return true;
        }

        if (!signer.TryReadSession(cookie, out session))
        {
            return false;
        }

        if (_sessions.Count >= MaxCachedSessions)
        {
            _sessions.Clear();
        }

        _sessions.TryAdd(cookie, session);
        return true;
    }

    private async Task WakeAsync(HttpContext http, LinkBinding link, RuntimeBinding runtime)
    {
        if (workflows.UnavailableReason is { } unavailable)
        {
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, $"The workspace is asleep and cannot be woken: {unavailable}.", retryAfter: 30);
            return;
        }

        if (!Due(_lastWake, runtime.WorkspaceId, WakeEvery))
        {
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "The workspace is waking up; this page retries in a few seconds.", retryAfter: 5);
            return;
        }

        try
        {
            // The wake path only (a sleeping workspace): one read for the org's idle timeout.
            await using var query = store.QuerySession();
            var org = await query.LoadAsync<Domain.Organizations.Organization>(runtime.OrgId, http.RequestAborted);
            var idle = TimeSpan.FromMinutes(org?.IdleTimeoutMinutes ?? Domain.Organizations.Organization.DefaultIdleTimeoutMinutes);
            await workflows.WakeAsync(new RuntimeInput(runtime.WorkspaceId, runtime.OrgId, idle), WakeTrigger.DevUrl, http.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogWakeFailed(logger, link.LinkId, ex.GetType().Name);
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "The workspace is asleep and could not be woken; try again.", retryAfter: 10);
            return;
        }

        await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "The workspace is waking up; this page retries in a few seconds.", retryAfter: 5);
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
            LogFirstUseNotRecorded(logger, link.LinkId, ex);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Where the service listens: the provider's answer (a Local container's address), else the upstream template.</summary>
    private async ValueTask<string> UpstreamAsync(RuntimeBinding runtime, string service, int port, CancellationToken ct) =>
        addresses is not null
        && await addresses.UpstreamAsync(new ServiceTarget(runtime.WorkspaceId, runtime.OrgId, runtime.InstanceId, runtime.Region, service, port), ct) is { } located
            ? located.GetLeftPart(UriPartial.Authority)
            : Upstream(runtime, service, port);

    private string Upstream(RuntimeBinding runtime, string service, int port) => _options.UpstreamTemplate
        .Replace("{instanceId}", runtime.InstanceId ?? "", StringComparison.Ordinal)
        .Replace("{region}", runtime.Region ?? "", StringComparison.Ordinal)
        .Replace("{workspaceId}", runtime.WorkspaceId.ToString("N"), StringComparison.Ordinal)
        .Replace("{service}", service, StringComparison.Ordinal)
        .Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private bool TryReadLinkId(string host, out Guid linkId)
    {
        linkId = Guid.Empty;
        var label = host.Length > _hostSuffix.Length ? host.AsSpan(0, host.Length - _hostSuffix.Length) : default;
        return label.Length == 32 && Guid.TryParseExact(label, "N", out linkId);
    }

    /// <summary>
    /// The nonces of open tickets already used, each kept until its ticket expires: a ticket opens the link once (per
    /// gateway process; tickets live a minute, so a restart can at most let one be used again within that minute).
    /// </summary>
    private sealed class UsedTickets
    {
        private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
        private long _nextSweepTicks;

        public bool TryUse(string nonce, DateTimeOffset expiresAt, DateTimeOffset now)
        {
            var due = Interlocked.Read(ref _nextSweepTicks);
            if (now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextSweepTicks, (now + TimeSpan.FromSeconds(30)).UtcTicks, due) == due)
            {
                foreach (var (key, until) in _used)
                {
                    if (until < now)
                    {
                        _used.TryRemove(key, out _);
                    }
                }
            }

            return _used.TryAdd(nonce, expiresAt);
        }
    }

    private enum Upgrade
    {
        None,
        WebSocket,
        Other,
    }

    /// <summary>
    /// What the request asks to become, by what the server will actually do with it: an HTTP/1.1 upgrade Kestrel would
    /// honour (Connection: upgrade), or an HTTP/2 extended CONNECT. An Upgrade header on a plain request upgrades nothing
    /// and is not a WebSocket (so it cannot turn a page request into the WebSockets surface).
    /// </summary>
    private static Upgrade UpgradeOf(HttpContext http)
    {
        if (http.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase) ? Upgrade.WebSocket : Upgrade.Other;
        }

        if (http.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
        {
            return Upgrade.None;
        }

        return http.Request.Headers.Upgrade is [var only] && string.Equals(only?.Trim(), "websocket", StringComparison.OrdinalIgnoreCase)
            ? Upgrade.WebSocket
            : Upgrade.Other;
    }

    /// <summary>A plain ProblemDetails answer; never echoes the token, the cookie or the path.</summary>
    private static Task RefuseAsync(HttpContext http, int status, string detail, int? retryAfter = null)
    {
        http.Response.StatusCode = status;
        if (retryAfter is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return http.Response.WriteAsJsonAsync(
            new { type = $"https://envforge.dev/problems/gateway.{status}", title = ReasonPhrases(status), status, detail },
            options: null, contentType: "application/problem+json", http.RequestAborted);
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId}: upstream failed ({Error})")]
    private static partial void LogUpstreamFailed(ILogger logger, Guid linkId, ForwarderError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId}: the dev-URL heartbeat was not delivered ({Error})")]
    private static partial void LogHeartbeatFailed(ILogger logger, Guid workspaceId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId}: waking the workspace failed ({Error})")]
    private static partial void LogWakeFailed(ILogger logger, Guid linkId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dev link {LinkId}: first use not recorded")]
    private static partial void LogFirstUseNotRecorded(ILogger logger, Guid linkId, Exception error);

    /// <summary>
    /// Forwards everything but the gateway's own cookie, and never lets the upstream set or clear that cookie. The upstream
    /// sees its own address as the Host, and forwarding headers only as the gateway writes them (a client's are dropped).
    /// </summary>
    private sealed class LinkTransformer(string cookieName) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

            // HttpTransformer.Default copies the client's Host (the link's host): the upstream gets the destination's instead.
            proxyRequest.Headers.Host = null;
            if (proxyRequest.Headers.TryGetValues("Cookie", out var cookies))
            {
                var kept = string.Join("; ", cookies.SelectMany(c => c.Split(';')).Select(c => c.Trim())
                    .Where(c => c.Length > 0 && !IsGatewayCookie(c, cookieName)));
                proxyRequest.Headers.Remove("Cookie");
                if (kept.Length > 0)
                {
                    proxyRequest.Headers.TryAddWithoutValidation("Cookie", kept);
                }
            }

            foreach (var name in proxyRequest.Headers.Select(h => h.Key).Where(IsForwardingHeader).ToList())
            {
                proxyRequest.Headers.Remove(name);
            }

            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            if (httpContext.Connection.RemoteIpAddress is { } ip)
            {
                proxyRequest.Headers.Remove("X-Forwarded-For");
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", ip.ToString());
            }
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            var setCookies = httpContext.Response.Headers.SetCookie;
            if (setCookies.Count > 0 && setCookies.Any(c => c is not null && IsGatewayCookie(c, cookieName)))
            {
                httpContext.Response.Headers.SetCookie = new([.. setCookies.Where(c => c is not null && !IsGatewayCookie(c, cookieName))]);
            }

            return result;
        }

        /// <summary>
        /// "name=value..." naming the gateway's cookie. ASP.NET Core reads request cookies by name without regard to case,
        /// so "EF_LINK=" is the gateway's session as far as the gateway is concerned: it is stripped (and kept from being set) the same way.
        /// </summary>
        private static bool IsGatewayCookie(string pair, string cookieName)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            return pair.AsSpan(0, equals < 0 ? pair.Length : equals).Trim().Equals(cookieName, StringComparison.OrdinalIgnoreCase);
        }

        private static bool IsForwardingHeader(string name) =>
            name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
            || name.Equals("Forwarded", StringComparison.OrdinalIgnoreCase)
            || name.Equals("X-Real-IP", StringComparison.OrdinalIgnoreCase);
    }
}
