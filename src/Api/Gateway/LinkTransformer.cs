using System.Collections.Frozen;
using System.Net;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Api.Gateway;

/// <summary>
/// What crosses the gateway in each direction besides the body. To the app: every header but the gateway's session
/// cookie, forwarding and host-override headers the client wrote (the gateway writes X-Forwarded-For and -Proto itself),
/// and WebSocket headers on what is not a handshake; the Host is the app's own address. Back to the browser: the app's
/// answer, less cookies that could reach or shadow other links' (<see cref="UpstreamCookies"/>) and Clear-Site-Data; and
/// a WebSocket handshake is answered by the app switching protocols or by a 502 of the gateway's, never by the app's page.
/// </summary>
public sealed class LinkTransformer(SessionCookie session, bool handshake, ILogger logger) : HttpTransformer
{
    /// <summary>Request headers the app never gets from a client, by why.</summary>
    private static readonly FrozenSet<string> Stripped = new[]
    {
        // Forwarding: who the client is and how it came, written by the gateway alone.
        "Forwarded", "X-Real-IP", "X-Client-IP", "X-Cluster-Client-IP", "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP",
        // Rewrites and host overrides: frameworks that honour them route by them, past the path the gateway checked.
        "X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Original-Host", "X-Host",
        // Method overrides: a GET the gateway let through as safe (no Origin check) must not act as a POST or DELETE.
        "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        // HttpTransformer.Default copies the client's Host (the link's host): the upstream gets the destination's instead.
        proxyRequest.Headers.Host = null;
        foreach (var (name, _) in httpContext.Request.Headers)
        {
            if (Stripped.Contains(name) || name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
                || !handshake && name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase))
            {
                proxyRequest.Headers.Remove(name);
            }
        }

        if (httpContext.Request.Headers.Cookie.Count > 0)
        {
            StripSessionCookie(httpContext.Request.Headers.Cookie, proxyRequest);
        }

        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
        if (httpContext.Connection.RemoteIpAddress is { } ip)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", ip.ToString());
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && Switched(proxyResponse) != handshake)
        {
            // A handshake the app answered with a page (or a 101 to what was not a handshake): nothing of it goes back.
            GatewayLog.NotSwitched(logger, handshake, (int)proxyResponse.StatusCode);
            await new Refusal(StatusCodes.Status502BadGateway, "The app did not accept this as a WebSocket.").WriteAsync(httpContext);
            return false;
        }

        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var headers = httpContext.Response.Headers;
        headers.Remove("Clear-Site-Data"); // one link's app must not wipe the cookies and storage the browser keeps for others
        var setCookies = headers.SetCookie;
        if (setCookies.Count > 0 && setCookies.Any(c => !UpstreamCookies.MayPass(c, session)))
        {
            headers.SetCookie = new StringValues([.. setCookies.Where(c => UpstreamCookies.MayPass(c, session))]);
        }

        return result;
    }

    /// <summary>A 101, or the 200 an HTTP/2 app gives an extended CONNECT: the only answers that open a tunnel.</summary>
    private static bool Switched(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.SwitchingProtocols
        || response.StatusCode == HttpStatusCode.OK && response.Version == HttpVersion.Version20 && response.RequestMessage?.Method == HttpMethod.Connect;

    /// <summary>The Cookie header without the gateway's session in any form (a browser may send several spellings).</summary>
    private void StripSessionCookie(StringValues cookies, HttpRequestMessage proxyRequest)
    {
        var any = false;
        foreach (var header in cookies)
        {
            foreach (var range in header.AsSpan().Split(';'))
            {
                var pair = header.AsSpan()[range];
                var equals = pair.IndexOf('=');
                any |= session.IsSessionName(equals < 0 ? pair : pair[..equals]);
            }
        }

        if (!any)
        {
            return;
        }

        var kept = string.Join("; ", cookies.SelectMany(c => (c ?? "").Split(';')).Select(c => c.Trim())
            .Where(c => c.Length > 0 && !session.IsSessionName(c.IndexOf('=') is var i and >= 0 ? c.AsSpan(0, i) : c.AsSpan())));
        proxyRequest.Headers.Remove("Cookie");
        if (kept.Length > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("Cookie", kept);
        }
    }
}
