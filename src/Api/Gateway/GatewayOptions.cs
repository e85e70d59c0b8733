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

    public string LinkHost(Guid linkId) => $"{linkId:N}.{Domain}";

    public string OpenUrl(Guid linkId, string token) =>
        $"{Scheme}://{LinkHost(linkId)}{(PublicPort is { } port ? $":{port}" : "")}/__envforge/open?token={Uri.EscapeDataString(token)}";
}
