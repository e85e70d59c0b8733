using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using Marten;

namespace EnvForge.Bench;

/// <summary>
/// The audit bench's history: orgs whose members, workspaces, dev links and grants produce the event mix a busy org does
/// (most of it runtime wake/sleep, then dev links, grants with some denials, member changes), every stream valid for the
/// inline projections, appended in transactions of <c>batch</c> events with plain Marten. It remembers what support
/// queries need (actors, workspaces, links) without keeping the events.
/// </summary>
internal sealed class AuditSeed(Guid orgId, int members, int workspaces, int seed)
{
    public const string Owner = "bench-owner";
    private readonly Random _random = new(seed);
    private readonly List<Guid> _workspaces = [];
    private readonly HashSet<Guid> _awake = [];
    private readonly List<string> _members = [];

    public Guid OrgId { get; } = orgId;

    public IReadOnlyList<string> Members => _members;

    public IReadOnlyList<Guid> Workspaces => _workspaces;

    public List<Guid> Links { get; } = [];

    public long Events { get; private set; }

    /// <summary>Appends about <paramref name="events"/> events in transactions of <paramref name="batch"/>; returns the time spent appending.</summary>
    public async Task<TimeSpan> AppendAsync(IDocumentStore store, long events, int batch, Action<long>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pending = new List<(Guid Stream, IDomainEvent Event)>(batch + 8);
        foreach (var e in Generate())
        {
            pending.Add(e);
            if (pending.Count >= batch || Events + pending.Count >= events)
            {
                await SaveAsync(store, pending);
                Events += pending.Count;
                pending.Clear();
                progress?.Invoke(Events);
                if (Events >= events)
                {
                    break;
                }
            }
        }

        return clock.Elapsed;
    }

    private static async Task SaveAsync(IDocumentStore store, List<(Guid Stream, IDomainEvent Event)> events)
    {
        await using var session = store.LightweightSession();
        session.CorrelationId = $"seed-{Guid.NewGuid():N}";
        foreach (var group in events.GroupBy(e => e.Stream))
        {
            session.Events.Append(group.Key, group.Select(e => (object)e.Event).ToArray());
        }

        await session.SaveChangesAsync();
    }

    private IEnumerable<(Guid, IDomainEvent)> Generate()
    {
        var now = DateTimeOffset.UtcNow;
        var register = new RegisterOrganization(OrgId, $"bench audit org {OrgId:N}", ExternalIds.New(), Owner, "Bench Owner", now);
        foreach (var e in OrganizationDecider.Decide(register, null).Events)
        {
            yield return (OrgId, e);
        }

        for (var m = 0; m < members; m++)
        {
            yield return (OrgId, AddMember(now));
        }

        for (var w = 0; w < workspaces; w++)
        {
            var id = Guid.CreateVersion7(now);
            _workspaces.Add(id);
            yield return (id, new WorkspaceCreated(id, OrgId, $"ws-{w}", "https://git.example.com/bench/app", "main", [new ServiceSpec("web", 3000)],
                [new SecretRef("DB_PASSWORD", "/envforge/bench/DB_PASSWORD", "web")], Actor(), now));
            yield return (id, new ProvisioningStarted(id, OrgId, "system:provisioning", now));
            yield return (id, new ProvisioningStepCompleted(id, OrgId, ProvisioningStep.AssumeRole, "session", "system:provisioning", now));
            yield return (id, new ProvisioningStepCompleted(id, OrgId, ProvisioningStep.Terraform, "3 added", "system:provisioning", now));
            yield return (id, new WorkspacePlaced(id, OrgId, "i-" + id.ToString("N")[^17..], "us-east-1", "system:provisioning", now));
            yield return (id, new ProvisioningStepCompleted(id, OrgId, ProvisioningStep.Verify, "ok", "system:provisioning", now));
            yield return (id, new WorkspaceReady(id, OrgId, ["ec2", "ssm"], "system:provisioning", now));
        }

        while (true)
        {
            now = DateTimeOffset.UtcNow;
            var roll = _random.Next(100);
            var ws = _workspaces[_random.Next(_workspaces.Count)];
            if (roll < 60)
            {
                yield return (ws, _awake.Remove(ws)
                    ? new WorkspaceSlept(ws, OrgId, "idle", "system:runtime", now)
                    : Woke(ws, now));
            }
            else if (roll < 75)
            {
                var link = Guid.CreateVersion7(now);
                Links.Add(link);
                var issuer = Actor();
                yield return (link, new DevLinkIssued(link, OrgId, ws, "web", issuer, now.AddHours(4), [DevLinkSurface.Web, DevLinkSurface.Api], "k1",
                    Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), issuer, now));
                yield return (link, new DevLinkFirstUsed(link, OrgId, 1, "gateway", now));
                yield return (link, new DevLinkSurfacesChanged(link, OrgId, [DevLinkSurface.Web], issuer, now));
                yield return (link, new DevLinkRevoked(link, OrgId, "review done", Actor(), now));
            }
            else if (roll < 90)
            {
                var grant = Guid.CreateVersion7(now);
                var requester = Actor();
                yield return (grant, new ElevationRequested(grant, OrgId, ws, requester, "debug", null, RootMode.BreakGlass, TimeSpan.FromMinutes(30), 1,
                    now.AddHours(1), requester, now));
                if (roll % 5 == 0)
                {
                    yield return (grant, new ElevationDenied(grant, OrgId, Owner, "not now", Owner, now));
                }
                else
                {
                    yield return (grant, new ElevationApproved(grant, OrgId, Owner, TimeSpan.FromMinutes(30), 1, 1, Owner, now));
                    yield return (grant, new ElevationActivated(grant, OrgId, ws, now, now.AddMinutes(30), "system:elevation", now));
                    yield return (grant, new ElevationClosedOut(grant, OrgId, ws, ElevationEnding.Expired, now, "system:elevation", now));
                }
            }
            else
            {
                yield return (OrgId, AddMember(now));
            }
        }
    }

    private WorkspaceWoke Woke(Guid ws, DateTimeOffset now)
    {
        _awake.Add(ws);
        return new WorkspaceWoke(ws, OrgId, WakeTrigger.DevUrl, ["DB_PASSWORD"], "system:runtime", now);
    }

    private MemberAdded AddMember(DateTimeOffset now)
    {
        var user = $"m{_members.Count:D6}-{OrgId:N}"[..20];
        _members.Add(user);
        return new MemberAdded(OrgId, user, $"Member {_members.Count}", _members.Count % 5 == 0 ? Role.Admin : Role.Developer, Owner, now);
    }

    /// <summary>A member acting (the first hundred act most, as in a real org).</summary>
    private string Actor() => _members.Count == 0 ? Owner : _members[_random.Next(Math.Min(_members.Count, 100))];
}
