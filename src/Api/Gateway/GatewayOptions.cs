namespace EnvForge.Api.Gateway;

/// <summary>Bound from the "Gateway" configuration section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// The dev-link domain: a link is served at <c>{linkId:N}.{Domain}</c>, one origin per link, so its session cookie and
    /// its same-origin <c>/api</c> never mix with another link's. Empty switches the gateway off.
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

    public string CookieName { get; set; } = "ef_link";

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
