using System.Buffers.Text;
using Microsoft.AspNetCore.Http.Features;

namespace EnvForge.Api.Gateway;

/// <summary>What a request is, as far as the surfaces go.</summary>
public enum RequestKind
{
    /// <summary>An ordinary request: its surface is its path's, whatever headers it carries.</summary>
    Plain,

    /// <summary>A valid WebSocket handshake: the WebSockets surface.</summary>
    WebSocketHandshake,

    /// <summary>An upgrade or extended CONNECT that is not a valid WebSocket handshake: never forwarded (its body would be the raw connection).</summary>
    InvalidUpgrade,

    /// <summary>CONNECT outside HTTP/2 extended CONNECT, and TRACE: never forwarded.</summary>
    ForbiddenMethod,
}

/// <summary>
/// Tells a real WebSocket handshake from headers that only look like one. A request is the WebSockets surface only if the
/// server would switch protocols on it and it is well formed: an HTTP/1.1 GET the server can upgrade (Connection: upgrade)
/// with <c>Upgrade: websocket</c>, <c>Sec-WebSocket-Version: 13</c> and a key of 16 bytes in base64 (RFC 6455 4.1), or an
/// HTTP/2 extended CONNECT with <c>:protocol websocket</c> and version 13 (RFC 8441). Anything else keeps its path's surface.
/// </summary>
public static class RequestKinds
{
    public static RequestKind Of(HttpContext http)
    {
        var request = http.Request;
        if (HttpMethods.IsTrace(request.Method))
        {
            return RequestKind.ForbiddenMethod;
        }

        if (http.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase) && IsVersion13(request.Headers)
                ? RequestKind.WebSocketHandshake
                : RequestKind.InvalidUpgrade;
        }

        if (HttpMethods.IsConnect(request.Method))
        {
            return RequestKind.ForbiddenMethod;
        }

        if (http.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
        {
            return RequestKind.Plain; // an Upgrade header on a request the server will not upgrade upgrades nothing
        }

        var headers = request.Headers;
        return HttpMethods.IsGet(request.Method)
            && HttpProtocol.IsHttp11(request.Protocol)
            && headers.Upgrade is [var upgrade] && string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            && IsVersion13(headers)
            && headers.SecWebSocketKey is [var key] && IsKey(key)
            ? RequestKind.WebSocketHandshake
            : RequestKind.InvalidUpgrade;
    }

    private static bool IsVersion13(IHeaderDictionary headers) => headers.SecWebSocketVersion is ["13"];

    /// <summary>RFC 6455: a randomly selected 16-byte value, base64-encoded: 24 characters, the last two padding.</summary>
    private static bool IsKey(string? key) => key is { Length: 24 } && key.EndsWith("==", StringComparison.Ordinal) && Base64.IsValid(key);
}
