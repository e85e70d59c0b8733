using System.Globalization;
using System.Net;
using EnvForge.Projections.DevLinks;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Api.Gateway;

/// <summary>
/// The hop to the app: where a workspace's service listens (the provider's <see cref="IServiceAddresses"/> answer, else
/// <see cref="AddressOf"/>, the one place an address is built from the template), the HTTP client that reaches it, and
/// YARP's forwarder with the gateway's transformer.
/// </summary>
public sealed class UpstreamForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly GatewayOptions _options;
    private readonly ILogger<UpstreamForwarder> _logger;
    private readonly IServiceAddresses _addresses;
    private readonly HttpMessageInvoker _client = new(CreateHandler());
    private readonly ForwarderRequestConfig _config;
    private readonly LinkTransformer _plain;
    private readonly LinkTransformer _handshake;

    public UpstreamForwarder(
        IHttpForwarder forwarder, SessionCookie session, IServiceAddresses addresses, IOptions<GatewayOptions> options, ILogger<UpstreamForwarder> logger)
    {
        _forwarder = forwarder;
        _addresses = addresses;
        _options = options.Value;
        _logger = logger;
        _config = new ForwarderRequestConfig { ActivityTimeout = _options.UpstreamTimeout };
        _plain = new LinkTransformer(session, handshake: false, logger);
        _handshake = new LinkTransformer(session, handshake: true, logger);
    }

    /// <summary>How the gateway reaches upstreams: no proxy, redirects, decompression, cookies or trace headers of its own.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
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

    /// <summary>
    /// Where <paramref name="service"/> of a workspace listens, from <see cref="GatewayOptions.UpstreamTemplate"/>:
    /// <c>{instanceId}</c>, <c>{region}</c>, <c>{workspaceId}</c>, <c>{service}</c> and <c>{port}</c> substituted.
    /// </summary>
    public string AddressOf(RuntimeBinding runtime, string service, int port) => _options.UpstreamTemplate
        .Replace("{instanceId}", runtime.InstanceId ?? "", StringComparison.Ordinal)
        .Replace("{region}", runtime.Region ?? "", StringComparison.Ordinal)
        .Replace("{workspaceId}", runtime.WorkspaceId.ToString("N"), StringComparison.Ordinal)
        .Replace("{service}", service, StringComparison.Ordinal)
        .Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>The provider's address for the service (a Local container's), else <see cref="AddressOf"/>.</summary>
    public async ValueTask<string> AddressAsync(RuntimeBinding runtime, string service, int port, CancellationToken ct) =>
        await _addresses.UpstreamAsync(new ServiceTarget(runtime.WorkspaceId, runtime.OrgId, runtime.InstanceId, runtime.Region, service, port), ct)
            is { } located
            ? located.GetLeftPart(UriPartial.Authority)
            : AddressOf(runtime, service, port);

    /// <summary>Forwards the request to the service; <paramref name="closed"/> ends it (and its tunnel) early.</summary>
    public async Task SendAsync(HttpContext http, Guid linkId, RuntimeBinding runtime, string service, int port, bool handshake, CancellationToken closed)
    {
        var error = await _forwarder.SendAsync(http, await AddressAsync(runtime, service, port, closed), _client, _config, handshake ? _handshake : _plain, closed);
        if (error != ForwarderError.None && !http.Response.HasStarted && !closed.IsCancellationRequested)
        {
            GatewayLog.UpstreamFailed(_logger, linkId, error);
        }
    }

    public void Dispose() => _client.Dispose();
}
