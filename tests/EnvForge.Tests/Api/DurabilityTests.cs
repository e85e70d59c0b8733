using System.Collections.Concurrent;
using System.Net;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Api;

public sealed class DurabilityTests(PostgresServer postgres)
{
    [Fact]
    public async Task Killing_the_process_mid_request_loses_no_acknowledged_event()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(DurabilityTests));
        await using var api = await ApiProcess.StartAsync(connectionString);
        const int writers = 8;
        var orgs = new Guid[writers];
        for (var w = 0; w < writers; w++)
        {
            var response = await api.ClientFor($"owner{w}").PostJsonAsync("/orgs", new { name = $"Org {w}" });
            await response.AssertStatusAsync(HttpStatusCode.Created);
            orgs[w] = (await response.ReadAsync<OrganizationResponse>()).Id;
        }

        var acknowledged = new ConcurrentBag<(Guid Org, string User)>();
        var cutOff = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            using var client = api.ClientFor($"owner{w}");
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var user = $"w{w}-u{i}";
                try
                {
                    var response = await client.PostJsonAsync($"/orgs/{orgs[w]}/members", new { userId = user, role = "Developer" });
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((orgs[w], user));
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
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (acknowledged.Count < 200 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        api.Kill();
        await Task.WhenAll(load);
        await stop.CancelAsync();

        Assert.True(acknowledged.Count >= 200, $"only {acknowledged.Count} adds were acknowledged before the kill");
        Assert.True(cutOff > 0, "no request was in flight when the process was killed");

        await using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await using var session = store.QuerySession();
        var stored = new HashSet<(Guid, string)>();
        foreach (var org in orgs)
        {
            foreach (var e in await session.Events.FetchStreamAsync(org))
            {
                if (e.Data is MemberAdded added)
                {
                    stored.Add((added.OrgId, added.UserId));
                }
            }
        }

        var lost = acknowledged.Where(a => !stored.Contains(a)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged adds were lost, e.g. {string.Join(", ", lost.Take(5))}");

        // The read model written in the same transaction agrees with the stream.
        foreach (var org in orgs)
        {
            var members = await session.Query<EnvForge.Projections.Organizations.MemberView>().Where(m => m.OrgId == org).CountAsync();
            Assert.Equal(stored.Count(s => s.Item1 == org), members);
        }
    }
}
