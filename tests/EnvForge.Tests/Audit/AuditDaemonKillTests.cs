using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Common;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Audit;

/// <summary>
/// The projector process is killed (SIGKILL) while the trail is behind the event store and writes keep coming; a new
/// process resumes. Every org's chain then holds every event exactly once: positions 1..n, no gap, no duplicate, each
/// entry linked to the one before and hashing to what it says.
/// </summary>
public sealed class AuditDaemonKillTests(PostgresServer postgres)
{
    [Fact]
    public async Task Killing_the_projector_mid_stream_leaves_no_gap_and_no_duplicate_in_any_chain()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(AuditDaemonKillTests));
        await using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        const int writers = 6;
        var orgs = new Guid[writers];
        long behindAtKill;
        await using (var api = await ApiProcess.StartAsync(connectionString))
        {
            for (var w = 0; w < writers; w++)
            {
                var response = await api.ClientFor($"owner{w}").PostJsonAsync("/orgs", new { name = $"Org {w}" });
                await response.AssertStatusAsync(HttpStatusCode.Created);
                orgs[w] = (await response.ReadAsync<OrganizationResponse>()).Id;
            }

            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                using var client = api.ClientFor($"owner{w}");
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await client.PostJsonAsync($"/orgs/{orgs[w]}/members", new { userId = $"w{w}-u{i}", role = "Developer" });
                    }
                    catch (HttpRequestException)
                    {
                        return; // the process died under this request
                    }
                }
            })).ToArray();

            // Kill once the trail has done some work and is behind the store.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var (projected, highWater) = await ProgressAsync(store);
                if (projected > 100 && highWater - projected > 5)
                {
                    behindAtKill = highWater - projected;
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"the trail never fell behind under load (projected {projected}, high water {highWater})");
                await Task.Delay(10);
            }

            api.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        Assert.True(behindAtKill > 0);
        await using (await ApiProcess.StartAsync(connectionString))
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                var (projected, highWater) = await ProgressAsync(store);
                if (projected >= highWater)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"the restarted projector did not catch up ({projected} of {highWater})");
                await Task.Delay(100);
            }
        }

        await using var session = store.QuerySession();
        foreach (var org in orgs)
        {
            var events = await session.Events.QueryAllRawEvents().Where(e => e.StreamId == org).OrderBy(e => e.Sequence).ToListAsync();
            var entries = await session.Query<AuditEntry>().Where(e => e.OrgId == org).OrderBy(e => e.ChainIndex).ToListAsync();
            Assert.Equal(events.Count(e => e.Data is IDomainEvent), entries.Count);
            Assert.Equal(events.Select(e => e.Sequence), entries.Select(e => e.Id));
            Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.ChainIndex));
            var previous = AuditCanonical.Genesis;
            foreach (var entry in entries)
            {
                Assert.Equal(previous, entry.PreviousHash);
                Assert.Equal(AuditCanonical.HashOf(entry), entry.Hash);
                previous = entry.Hash;
            }

            var head = await session.LoadAsync<AuditChainHead>(org);
            Assert.Equal((entries.Count, previous), (head!.Index, head.Hash));
        }
    }

    private static async Task<(long Projected, long HighWater)> ProgressAsync(DocumentStore store)
    {
        await using var session = store.QuerySession();
        var projected = (await session.AdvancedSql.QueryAsync<long>(
            "select coalesce(max(last_seq_id), 0) from envforge.mt_event_progression where name = 'AuditTrail:All'", CancellationToken.None)).Single();
        var highWater = (await session.AdvancedSql.QueryAsync<long>("select coalesce(max(seq_id), 0) from envforge.mt_events", CancellationToken.None)).Single();
        return (projected, highWater);
    }
}
