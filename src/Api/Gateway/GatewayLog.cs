using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Api.Gateway;

/// <summary>The gateway's log lines: ids, error names and counts only, never a token, a cookie, a path or a query.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId}: upstream failed ({Error})")]
    public static partial void UpstreamFailed(ILogger logger, Guid linkId, ForwarderError error);

    [LoggerMessage(Level = LogLevel.Information, Message = "A dev link's app answered {Status} to a request that was a WebSocket handshake: {Handshake}; the gateway answered 502")]
    public static partial void NotSwitched(ILogger logger, bool handshake, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workspace {WorkspaceId}: the dev-URL heartbeat was not delivered ({Error})")]
    public static partial void HeartbeatFailed(ILogger logger, Guid workspaceId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId}: waking the workspace failed ({Error})")]
    public static partial void WakeFailed(ILogger logger, Guid linkId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dev link {LinkId}: first use not recorded")]
    public static partial void FirstUseNotRecorded(ILogger logger, Guid linkId, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dev link {LinkId}: closed a live {Surface} request ({Status})")]
    public static partial void LiveRequestClosed(ILogger logger, Guid linkId, EnvForge.Domain.DevLinks.DevLinkSurface surface, int status);
}
