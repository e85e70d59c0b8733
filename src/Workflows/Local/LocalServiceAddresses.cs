using System.Collections.Concurrent;
using System.Globalization;
using EnvForge.Workflows.Workspaces;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Where a Local workspace's service listens: its container's address on the org's network (this machine reaches every
/// bridge network it hosts; no port is published). Looked up from the engine, then kept for a few seconds
/// (<see cref="LocalOptions.AddressLifetime"/>) and forgotten at once when the runtime starts or stops the workspace.
/// Workspaces placed elsewhere (not in the Local region) are left to the gateway's template.
/// </summary>
public sealed class LocalServiceAddresses(LocalDocker docker, TimeProvider time) : IServiceAddresses
{
    private readonly ConcurrentDictionary<(Guid Workspace, string Service), (Uri? Address, long Until)> _known = new();

    public async ValueTask<Uri?> UpstreamAsync(ServiceTarget target, CancellationToken ct)
    {
        if (target.Region != LocalNames.Region)
        {
            return null;
        }

        var key = (target.WorkspaceId, target.Service);
        var now = time.GetTimestamp();
        if (_known.TryGetValue(key, out var known) && now < known.Until)
        {
            return known.Address ?? Unreachable(target);
        }

        var ip = await docker.AddressAsync(LocalNames.Service(target.WorkspaceId, target.Service), LocalNames.Network(target.OrgId), ct);
        var address = ip is null ? null : new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{ip}:{target.Port}"));
        var lifetime = (long)(docker.Options.AddressLifetime.TotalSeconds * time.TimestampFrequency);
        _known[key] = (address, now + lifetime);
        return address ?? Unreachable(target);
    }

    /// <summary>The runtime started or stopped the workspace's containers: their addresses changed.</summary>
    public void Forget(Guid workspaceId)
    {
        foreach (var key in _known.Keys.Where(k => k.Workspace == workspaceId))
        {
            _known.TryRemove(key, out _);
        }
    }

    /// <summary>A Local workspace whose container is not running: an address nothing listens on (the gateway answers 502).</summary>
    private static Uri Unreachable(ServiceTarget target) =>
        new(string.Create(CultureInfo.InvariantCulture, $"http://{LocalNames.Service(target.WorkspaceId, target.Service)}.invalid:{target.Port}"));
}
