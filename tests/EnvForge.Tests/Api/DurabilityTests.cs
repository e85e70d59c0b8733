using System.Collections.Concurrent;
using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Organizations;
using EnvForge.Tests.Infrastructure;
using Marten;
using Npgsql;

namespace EnvForge.Tests.Api;

public sealed class DurabilityTests(PostgresServer postgres)
{
    [Fact]
    public async Task Killing_the_process_mid_request_loses_no_acknowledged_event()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(DurabilityTests));
        await using var api = await ApiProcess.StartAsync(connectionString);
        var run = await RunUntilKilledAsync(api, writers: 8, orgCount: 8, acknowledgedBeforeKill: 200);

        await AssertEverythingAcknowledgedIsStoredAsync(connectionString, run);
    }

    /// <summary>
    /// The same under group commit: 64 writers, two per org, so each transaction carries the adds of several requests (and
    /// two writers of one org race for its stream). Killed mid-flight, no acknowledged add is missing, none is half there
    /// (events, the member directory and the org snapshot agree), and the store shows that adds really were committed together.
    /// </summary>
    [Fact]
    public async Task Killing_the_process_under_64_concurrent_writers_loses_no_acknowledged_event_of_a_group()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(DurabilityTests) + "_group");
        await using var api = await ApiProcess.StartAsync(connectionString);
        var run = await RunUntilKilledAsync(api, writers: 64, orgCount: 32, acknowledgedBeforeKill: 1000);

        var stored = await AssertEverythingAcknowledgedIsStoredAsync(connectionString, run);

        // Group commit happened: acknowledged adds share transactions (events of one transaction share its xmin).
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*), count(distinct xmin::text) from {EventStore.DefaultSchema}.mt_events where type = 'organization.member_added.v1' and stream_id = any(@orgs)",
            connection);
        command.Parameters.AddWithValue("orgs", run.Orgs);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (adds, transactions) = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(stored + run.Orgs.Length, adds); // the owners' own adds, at registration, one transaction each
        Assert.True(transactions < adds, $"{adds} adds in {transactions} transactions: no two were committed together");
    }

    private sealed record Run(Guid[] Orgs, ConcurrentBag<(Guid Org, string User)> Acknowledged);

    /// <summary>Writers add members as fast as they are answered; once enough are acknowledged, kill -9 with requests in flight.</summary>
    private static async Task<Run> RunUntilKilledAsync(ApiProcess api, int writers, int orgCount, int acknowledgedBeforeKill)
    {
        var orgs = new Guid[orgCount];
        for (var o = 0; o < orgCount; o++)
        {
            var response = await api.ClientFor($"owner{o}").PostJsonAsync("/orgs", new { name = $"Org {o}" });
            await response.AssertStatusAsync(HttpStatusCode.Created);
            orgs[o] = (await response.ReadAsync<OrganizationResponse>()).Id;
        }

        var acknowledged = new ConcurrentBag<(Guid Org, string User)>();
        var cutOff = 0;
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var org = w % orgCount;
            using var client = api.ClientFor($"owner{org}");
            for (var i = 0; ; i++)
            {
                var user = $"w{w}-u{i}";
                try
                {
                    var response = await client.PostJsonAsync($"/orgs/{orgs[org]}/members", new { userId = user, role = "Developer" });
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((orgs[org], user));
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref cutOff); // the process died under this request
                    return;
                }
            }
        })).ToArray();

        // Let the writers get going, then kill -9 with requests in flight.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (acknowledged.Count < acknowledgedBeforeKill && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        api.Kill();
        await Task.WhenAll(load);

        Assert.True(acknowledged.Count >= acknowledgedBeforeKill, $"only {acknowledged.Count} adds were acknowledged before the kill");
        Assert.True(cutOff > 0, "no request was in flight when the process was killed");
        return new Run(orgs, acknowledged);
    }

    /// <summary>Every acknowledged add is on its stream, and the read models written in the same transaction agree with the streams.</summary>
    private static async Task<int> AssertEverythingAcknowledgedIsStoredAsync(string connectionString, Run run)
    {
        await using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await using var session = store.QuerySession();
        var stored = new HashSet<(Guid, string)>();
        foreach (var org in run.Orgs)
        {
            foreach (var e in await session.Events.FetchStreamAsync(org))
            {
                if (e.Data is MemberAdded added && !added.UserId.StartsWith("owner", StringComparison.Ordinal))
                {
                    stored.Add((added.OrgId, added.UserId));
                }
            }
        }

        var lost = run.Acknowledged.Where(a => !stored.Contains(a)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged adds were lost, e.g. {string.Join(", ", lost.Take(5))}");

        foreach (var org in run.Orgs)
        {
            var added = stored.Count(s => s.Item1 == org);
            var members = await session.Query<MemberView>().Where(m => m.OrgId == org).CountAsync();
            Assert.Equal(added + 1, members); // and the owner
            var snapshot = await session.LoadAsync<Organization>(org);
            Assert.Equal(added + 1, snapshot!.MemberCount);
            Assert.Equal(1, snapshot.OwnerCount);
        }

        return stored.Count;
    }
}
