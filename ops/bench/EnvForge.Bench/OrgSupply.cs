using System.Collections.Concurrent;
using EnvForge.Domain.Organizations;
using Marten;

namespace EnvForge.Bench;

/// <summary>
/// Gives every client an org of its own (concurrent adds to one org conflict on the stream version by design) and
/// moves it to a fresh org every <c>membersPerOrg</c> adds. The inline Organization snapshot holds every member, so
/// without the move its size, and the cost of each append, would grow with the rate and favour the slower side.
/// </summary>
internal sealed class OrgSupply
{
    public const string Owner = "bench-owner";

    private readonly ConcurrentQueue<Guid> _fresh;
    private readonly Guid[] _current;
    private readonly int[] _adds;
    private readonly int _membersPerOrg;
    private long _overflow;

    private OrgSupply(Guid[] orgs, int clients, int membersPerOrg)
    {
        _current = orgs[..clients];
        _fresh = new ConcurrentQueue<Guid>(orgs[clients..]);
        _adds = new int[clients];
        _membersPerOrg = membersPerOrg;
    }

    /// <summary>Adds made past <c>membersPerOrg</c> because the fresh orgs ran out (the supply was sized too small).</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>
    /// Registers <paramref name="orgs"/> orgs owned by <see cref="Owner"/>, through the domain's decider and the same store
    /// configuration as the API, outside any measured window. Both sides then append to streams of the same shape.
    /// </summary>
    public static async Task<OrgSupply> RegisterAsync(IDocumentStore store, int clients, int orgs, int membersPerOrg)
    {
        var ids = new Guid[Math.Max(orgs, clients)];
        var now = DateTimeOffset.UtcNow;
        foreach (var chunk in Enumerable.Range(0, ids.Length).Chunk(200))
        {
            await using var session = store.LightweightSession();
            foreach (var i in chunk)
            {
                ids[i] = Guid.CreateVersion7(now);
                var register = new RegisterOrganization(ids[i], $"bench org {i}", ExternalIds.New(), Owner, "Bench Owner", now);
                session.Events.StartStream<Organization>(ids[i], OrganizationDecider.Decide(register, null).Events);
            }

            await session.SaveChangesAsync();
        }

        return new OrgSupply(ids, clients, membersPerOrg);
    }

    /// <summary>The org client <paramref name="client"/> adds its next member to. Each client calls this from one loop only.</summary>
    public Guid Next(int client)
    {
        if (++_adds[client] > _membersPerOrg)
        {
            if (_fresh.TryDequeue(out var next))
            {
                _current[client] = next;
                _adds[client] = 1;
            }
            else
            {
                Interlocked.Increment(ref _overflow);
            }
        }

        return _current[client];
    }
}
