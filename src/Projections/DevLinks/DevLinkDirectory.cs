using System.Collections.Concurrent;
using System.Collections.Frozen;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Projections.DevLinks;

/// <summary>What the gateway needs to know of one link, per request, without a database round trip.</summary>
/// <param name="Audience">Null: anyone with the link. Otherwise who, signed in, may open it.</param>
public sealed record LinkBinding(
    Guid LinkId, Guid OrgId, Guid WorkspaceId, string Service, DateTimeOffset ExpiresAt, FrozenSet<DevLinkSurface> Surfaces, int Generation,
    string KeyId, byte[] TokenHash, bool Ended, bool FirstUseRecorded, LinkAudience? Audience)
{
    public static LinkBinding From(DevLink link) => new(
        link.Id, link.OrgId, link.WorkspaceId, link.Service, link.ExpiresAt, link.Surfaces.ToFrozenSet(), link.Generation, link.KeyId,
        Convert.FromHexString(link.TokenHash), link.HasEnded, link.UsedGenerations.Contains(link.Generation),
        link.Audience is { } a ? new LinkAudience(a.Users.ToFrozenSet(StringComparer.Ordinal), a.Roles.ToFrozenSet()) : null);

    public bool IsUsable(DateTimeOffset now) => !Ended && now < ExpiresAt;
}

/// <summary>A link's audience as sets, for the per-request check.</summary>
public sealed record LinkAudience(FrozenSet<string> Users, FrozenSet<Role> Roles)
{
    public bool Allows(string subject, Role role) => Users.Contains(subject) || Roles.Contains(role);
}

/// <summary>
/// What the gateway needs to know of a link's workspace: where its services listen, what kind each is (only an app is
/// linkable), and whether it is awake.
/// </summary>
public sealed record RuntimeBinding(Guid WorkspaceId, Guid OrgId, bool Live, bool Awake, string? InstanceId, string? Region, FrozenDictionary<string, int> ServicePorts)
{
    /// <summary>The declared services by name, with their port and kind.</summary>
    public FrozenDictionary<string, ServiceSpec> Services { get; init; } = FrozenDictionary<string, ServiceSpec>.Empty;

    public static RuntimeBinding From(Workspace w) => new(
        w.Id, w.OrgId, w.IsLive && w.Status == WorkspaceStatus.Ready, w.Awake, w.Placement?.InstanceId, w.Placement?.Region,
        w.Services.ToFrozenDictionary(s => s.Name, s => s.Port, StringComparer.Ordinal))
    {
        Services = w.Services.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal),
    };
}

/// <summary>
/// The gateway's read model, in memory: link id -> binding, workspace id -> runtime, and the members of each org that
/// has a link with an audience. Fed from the DevLink, Workspace and Organization snapshots by
/// <see cref="DevLinkDirectoryFeed"/>, which reloads a snapshot whenever its stream gets an event, within the feed's
/// polling interval (250 ms by default). Lookups are dictionary reads. <see cref="Changed"/> tells the gateway when to
/// check what it has open (WebSockets, long answers) again, so a change reaches live connections as soon as new requests.
/// </summary>
public sealed class DevLinkDirectory
{
    private readonly ConcurrentDictionary<Guid, LinkBinding> _links = new();
    private readonly ConcurrentDictionary<Guid, RuntimeBinding> _runtimes = new();
    private readonly ConcurrentDictionary<Guid, FrozenDictionary<string, Role>> _members = new();

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

    /// <summary>Raised after a link, a workspace or an org's members changed here (on the feed's thread: handlers return at once).</summary>
    public event Action? Changed;

    public void Put(DevLink link)
    {
        _links[link.Id] = LinkBinding.From(link);
        Changed?.Invoke();
    }

    public void Put(Workspace workspace)
    {
        _runtimes[workspace.Id] = RuntimeBinding.From(workspace);
        Changed?.Invoke();
    }

    /// <summary>The org's members and roles as they are now (kept only for orgs with a link that has an audience).</summary>
    public void PutMembers(Guid orgId, IEnumerable<(string UserId, Role Role)> members)
    {
        _members[orgId] = members.ToFrozenDictionary(m => m.UserId, m => m.Role, StringComparer.Ordinal);
        Changed?.Invoke();
    }

    public void RemoveOrg(Guid orgId)
    {
        _members.TryRemove(orgId, out _);
        Changed?.Invoke();
    }

    /// <summary>Whether the org's members are kept here (its membership changes are followed).</summary>
    public bool TracksOrg(Guid orgId) => _members.ContainsKey(orgId);

    /// <summary>
    /// Whether <paramref name="subject"/> (null: nobody signed in) may use <paramref name="link"/> now: anyone may use a link
    /// without an audience; otherwise a current member of the link's org named by user or role. Unknown members: no.
    /// </summary>
    public bool Allows(LinkBinding link, string? subject) => link.Audience switch
    {
        null => true,
        _ when subject is null => false,
        var audience => _members.TryGetValue(link.OrgId, out var members) && members.TryGetValue(subject, out var role) && audience.Allows(subject, role),
    };

    public void RemoveLink(Guid linkId)
    {
        _links.TryRemove(linkId, out _);
        Changed?.Invoke();
    }

    public void MarkLoaded() => IsLoaded = true;
}
