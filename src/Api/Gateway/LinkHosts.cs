using Microsoft.Extensions.Options;

namespace EnvForge.Api.Gateway;

/// <summary>
/// Which link a request is for, by its host (<c>{linkId:N}.{Gateway:Domain}</c>), and whether a request that acts (a
/// WebSocket handshake, an unsafe method) comes from that link's own origin. Every link shares the parent domain, so
/// SameSite does not tell one link's pages from another's: the Origin header does.
/// </summary>
public sealed class LinkHosts(IOptions<GatewayOptions> options)
{
    private readonly GatewayOptions _options = options.Value;
    private readonly string _hostSuffix = "." + options.Value.Domain.ToLowerInvariant();
    private readonly string _schemePrefix = options.Value.Scheme.ToLowerInvariant() + "://";

    /// <summary>Whether a request is for the gateway (its host is under the link domain) rather than the API.</summary>
    public bool IsGatewayHost(HttpContext http) =>
        _options.Domain.Length > 0 && http.Request.Host.Host.EndsWith(_hostSuffix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The link a host names: exactly one label of 32 hex digits before the link domain.</summary>
    public bool TryReadLinkId(string host, out Guid linkId)
    {
        linkId = Guid.Empty;
        var label = host.Length > _hostSuffix.Length && host.EndsWith(_hostSuffix, StringComparison.OrdinalIgnoreCase)
            ? host.AsSpan(0, host.Length - _hostSuffix.Length)
            : default;
        return label.Length == 32 && Guid.TryParseExact(label, "N", out linkId);
    }

    /// <summary>
    /// A WebSocket handshake or an unsafe method must come from the link's own origin: its published origin, or the
    /// scheme links are published with and the Host this request came to (already checked to name this link). No Origin
    /// at all is a non-browser client, let through when <see cref="GatewayOptions.AllowRequestsWithoutOrigin"/>.
    /// Safe methods need no check: a page may be linked to, or a GET made, from anywhere.
    /// </summary>
    public bool IsFromOwnOrigin(HttpContext http, Guid linkId, bool handshake)
    {
        var method = http.Request.Method;
        if (!handshake && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)))
        {
            return true;
        }

        var origin = http.Request.Headers.Origin;
        if (origin.Count == 0)
        {
            return _options.AllowRequestsWithoutOrigin;
        }

        if (origin.Count > 1 || origin[0] is not { } value)
        {
            return false;
        }

        var host = http.Request.Host.Value ?? "";
        return value.Length == _schemePrefix.Length + host.Length
                && value.StartsWith(_schemePrefix, StringComparison.OrdinalIgnoreCase)
                && value.AsSpan(_schemePrefix.Length).Equals(host, StringComparison.OrdinalIgnoreCase)
            || string.Equals(value, _options.Origin(linkId), StringComparison.OrdinalIgnoreCase);
    }
}
