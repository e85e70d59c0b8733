namespace EnvForge.Api.Gateway;

/// <summary>Bound from the "Gateway" configuration section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// The dev-link domain: a link is served at <c>{linkId:N}.{Domain}</c>, one origin per link, so its session cookie and
    /// its same-origin <c>/api</c> never mix with another link's. In production the domain must be on the Public Suffix List
    /// (as <c>app.github.dev</c> is), so that browsers treat every link as a site of its own: cookies scoped to the domain
    /// are refused and SameSite separates links. Empty switches the gateway off.
    /// </summary>
    public string Domain { get; set; } = "links.localhost";

    /// <summary>The scheme links are published with; "https" in production (the session cookie is then Secure).</summary>
    public string Scheme { get; set; } = "http";

    /// <summary>Port in published link URLs; null for the scheme's default.</summary>
    public int? PublicPort { get; set; }

    /// <summary>
    /// Where a workspace's service listens, as the gateway reaches it: <c>{instanceId}</c>, <c>{region}</c>,
    /// <c>{workspaceId}</c>, <c>{service}</c> and <c>{port}</c> are substituted.
    /// </summary>
    public string UpstreamTemplate { get; set; } = "http://{instanceId}:{port}";

    /// <summary>
    /// The session cookie's name; on https it is sent as <c>__Host-{CookieName}</c> (see <see cref="SessionCookieName"/>), a
    /// name browsers accept only host-only, Secure and on Path=/, so no other link or subdomain can set or shadow it.
    /// </summary>
    public string CookieName { get; set; } = "ef_link";

    /// <summary>The session cookie's name as set and read: <c>__Host-</c> prefixed on https.</summary>
    public string SessionCookieName => IsHttps ? "__Host-" + CookieName : CookieName;

    public bool IsHttps => string.Equals(Scheme, "https", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a WebSocket handshake or an unsafe request (POST, PUT, PATCH, DELETE, ...) may come without an Origin header.
    /// Browsers always send one on those, so a request without it is from a non-browser client (curl, a CLI, a test runner)
    /// holding the session cookie itself, which no other site can make a browser do. Set false to accept only the link's own origin.
    /// </summary>
    public bool AllowRequestsWithoutOrigin { get; set; } = true;

    /// <summary>How long the gateway waits for an upstream to answer before 504.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long an open ticket (for a link with an audience) may wait before it is used.</summary>
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromSeconds(60);

    public string LinkHost(Guid linkId) => $"{linkId:N}.{Domain}";

    /// <summary>The link's origin as its URLs have it: with the published port, when there is one.</summary>
    public string Origin(Guid linkId) => $"{Scheme}://{LinkHost(linkId)}{(PublicPort is { } port ? $":{port}" : "")}";

    public string OpenUrl(Guid linkId, string token) => $"{Origin(linkId)}/__envforge/open?token={Uri.EscapeDataString(token)}";

    public string TicketUrl(Guid linkId, string ticket) => $"{Origin(linkId)}/__envforge/open?ticket={Uri.EscapeDataString(ticket)}";
}
