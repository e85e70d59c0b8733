using System.Collections.Concurrent;
using System.Diagnostics;
using EnvForge.Domain.Organizations;
using Marten;

namespace EnvForge.Bench;

/// <summary>
/// Orgs of one size for the clients to add members to. Every org is seeded with <c>membersPerOrg</c> members (its owner and
/// seeded developers, written through the same store configuration as the API, outside any measured window), every
/// client adds to an org of its own (concurrent adds to one org conflict on the stream version by design), and moves to a
/// fresh org after <c>membersPerOrg</c> adds: every measured add lands on an org of N to 2N members, whatever the rate.
/// The supply lives for the whole run, shared by the raw and the API side, and is topped up before each phase.
/// </summary>
internal sealed class OrgSupply(IDocumentStore store, int membersPerOrg)
{
    public const string Owner = "bench-owner";

    /// <summary>Events per seeding transaction: big enough to seed fast, small enough for one quick round trip.</summary>
    private const int EventsPerSession = 2_000;

    private readonly ConcurrentQueue<Guid> _fresh = new();
    private readonly Dictionary<int, Guid> _current = [];
    private readonly Dictionary<int, int> _adds = [];
    private long _overflow;

    public int MembersPerOrg => membersPerOrg;

    /// <summary>Adds made past <c>2 x membersPerOrg</c> because the fresh orgs ran out (the supply was sized too small).</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Seconds spent seeding, outside every measured window.</summary>
    public TimeSpan Seeding { get; private set; }

    /// <summary>Makes sure the clients find fresh orgs for <paramref name="expectedAdds"/> more adds (and one each to start on).</summary>
    public async Task TopUpAsync(int clients, double expectedAdds)
    {
        lock (_current)
        {
            for (var client = 0; client < clients; client++)
            {
                _current.TryAdd(client, Guid.Empty);
            }
        }

        var needed = _current.Count(c => c.Value == Guid.Empty) + (int)Math.Ceiling(expectedAdds / membersPerOrg);
        var missing = needed - _fresh.Count;
        if (missing <= 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var now = DateTimeOffset.UtcNow;
        var orgs = Enumerable.Range(0, missing).Select(_ => Guid.CreateVersion7(now)).ToArray();
        // Whole small orgs share a session; a big org is written in chunks, its stream started by the first.
        var chunks = orgs.SelectMany(org => Enumerable.Range(0, (membersPerOrg + EventsPerSession - 1) / EventsPerSession)
                .Select(chunk => (Org: org, From: chunk * EventsPerSession, To: Math.Min(membersPerOrg, (chunk + 1) * EventsPerSession))))
            .ToList();
        var sessions = new List<List<(Guid Org, int From, int To)>> { new() };
        var inSession = 0;
        foreach (var chunk in chunks)
        {
            if (inSession + (chunk.To - chunk.From) > EventsPerSession && sessions[^1].Count > 0)
            {
                sessions.Add([]);
                inSession = 0;
            }

            sessions[^1].Add(chunk);
            inSession += chunk.To - chunk.From;
        }

        // The chunks of one big org in order (its stream is started by the first); sessions of small orgs in any order.
        var byOrg = membersPerOrg > EventsPerSession ? sessions.GroupBy(s => s[0].Org).Select(g => g.ToList()) : sessions.Select(s => new[] { s }.ToList());
        await Parallel.ForEachAsync(byOrg, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (group, ct) =>
        {
            foreach (var session in group)
            {
                await SeedAsync(session, now, ct);
            }
        });

        foreach (var org in orgs)
        {
            _fresh.Enqueue(org);
        }

        Seeding += Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The org client <paramref name="client"/> adds its next member to. Each client calls this from one loop only.</summary>
    public Guid Next(int client)
    {
        Guid current;
        int adds;
        lock (_current)
        {
            current = _current[client];
            adds = _adds[client] = _adds.GetValueOrDefault(client) + 1;
        }

        if (current == Guid.Empty || adds > membersPerOrg)
        {
            if (_fresh.TryDequeue(out var next))
            {
                lock (_current)
                {
                    (_current[client], _adds[client]) = (next, 1);
                }

                return next;
            }

            if (adds > 2 * membersPerOrg)
            {
                Interlocked.Increment(ref _overflow);
            }
        }

        return current;
    }

    private async Task SeedAsync(List<(Guid Org, int From, int To)> chunks, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        foreach (var (org, from, to) in chunks)
        {
            var events = new List<object>(to - from + 1);
            for (var member = Math.Max(from, 1); member < to; member++)
            {
                events.Add(new MemberAdded(org, $"seed-{member}", null, Role.Developer, Owner, now));
            }

            if (from == 0)
            {
                var register = new RegisterOrganization(org, "bench org", ExternalIds.New(), Owner, "Bench Owner", now);
                session.Events.StartStream<Organization>(org, [.. OrganizationDecider.Decide(register, null).Events, .. events]);
            }
            else
            {
                session.Events.Append(org, events);
            }
        }

        await session.SaveChangesAsync(ct);
    }
}
