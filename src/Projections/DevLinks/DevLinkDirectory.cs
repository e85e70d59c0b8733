using System.Collections.Concurrent;
using System.Collections.Frozen;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Projections.DevLinks;

/// <summary>What the gateway needs to know of one link, per request, without a database round trip.</summary>
public sealed record LinkBinding(
    Guid LinkId, Guid OrgId, Guid WorkspaceId, string Service, DateTimeOffset ExpiresAt, FrozenSet<DevLinkSurface> Surfaces, int Generation,
    string KeyId, byte[] TokenHash, bool Ended, bool FirstUseRecorded)
{
    public static LinkBinding From(DevLink link) => new(
        link.Id, link.OrgId, link.WorkspaceId, link.Service, link.ExpiresAt, link.Surfaces.ToFrozenSet(), link.Generation, link.KeyId,
        Convert.FromHexString(link.TokenHash), link.HasEnded, link.UsedGenerations.Contains(link.Generation));

    public bool IsUsable(DateTimeOffset now) => !Ended && now < ExpiresAt;
}

/// <summary>What the gateway needs to know of a link's workspace: where its service listens, and whether it is awake.</summary>
public sealed record RuntimeBinding(Guid WorkspaceId, Guid OrgId, bool Live, bool Awake, string? InstanceId, string? Region, FrozenDictionary<string, int> ServicePorts)
{
    public static RuntimeBinding From(Workspace w) => new(
        w.Id, w.OrgId, w.IsLive && w.Status == WorkspaceStatus.Ready, w.Awake, w.Placement?.InstanceId, w.Placement?.Region,
        w.Services.ToFrozenDictionary(s => s.Name, s => s.Port, StringComparer.Ordinal));
}

/// <summary>
/// The gateway's read model, in memory: link id -> binding, workspace id -> runtime. Fed from the DevLink and Workspace
/// snapshots by <see cref="DevLinkDirectoryFeed"/>, which reloads a snapshot whenever its stream gets an event, within
/// the feed's polling interval (250 ms by default). Lookups are dictionary reads.
/// </summary>
public sealed class DevLinkDirectory
{
    private readonly ConcurrentDictionary<Guid, LinkBinding> _links = new();
    private readonly ConcurrentDictionary<Guid, RuntimeBinding> _runtimes = new();

    /// <summary>True once the first full load finished; before that the gateway answers 503 rather than guess.</summary>
    public bool IsLoaded { get; private set; }

    public int LinkCount => _links.Count;

    private long? _syncedAt;

    /// <summary>
    /// Loaded, and caught up within <paramref name="maxAge"/> (by the monotonic clock of <paramref name="time"/>): every
    /// revocation older than that is in it. The gateway refuses to serve on a directory that is not current.
    /// </summary>
    public bool IsCurrent(TimeProvider time, TimeSpan maxAge) =>
        IsLoaded && _syncedAt is { } synced && time.GetElapsedTime(synced) <= maxAge;

    /// <summary>The feed caught up with every event committed before <paramref name="timestamp"/> (a <c>GetTimestamp</c> value).</summary>
    public void MarkSynced(long timestamp) => _syncedAt = timestamp;

    public bool TryGetLink(Guid linkId, out LinkBinding binding) => _links.TryGetValue(linkId, out binding!);

    public bool TryGetRuntime(Guid workspaceId, out RuntimeBinding runtime) => _runtimes.TryGetValue(workspaceId, out runtime!);

    public void Put(DevLink link) => _links[link.Id] = LinkBinding.From(link);

    public void Put(Workspace workspace) => _runtimes[workspace.Id] = RuntimeBinding.From(workspace);

    public void RemoveLink(Guid linkId) => _links.TryRemove(linkId, out _);

    public void MarkLoaded() => IsLoaded = true;
}
