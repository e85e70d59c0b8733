using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;
using Npgsql;

namespace EnvForge.Tests.CommandPath;

/// <summary>
/// Group commit, against real PostgreSQL: commands arriving together share reads and transactions, yet each keeps its own
/// decision, its own writer on its events, and the outcome it would have had alone.
/// </summary>
public sealed class GroupCommitTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private string _connectionString = null!;
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync(nameof(GroupCommitTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, _connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static WriteContext Writer(int i) => new($"user-{i}", $"trace-{i}", "test");

    private static AddMember Add(Guid orgId, string user) =>
        new(orgId, user, null, Role.Developer, "alice", Now) { Memberships = new(Actor: new Membership(Role.Owner, null)) };

    private async Task<Guid> RegisterAsync()
    {
        var orgId = Guid.CreateVersion7(Now);
        var started = await StreamDecisions.DecideAsync<IOrganizationCommand, Organization>(
            _store, OrganizationDecider.Decider, orgId, _ => new RegisterOrganization(orgId, "Acme", ExternalIds.New(), "alice", null, Now), Writer(0));
        Assert.Equal(DecisionStatus.Appended, started.Status);
        return orgId;
    }

    private Task<StreamDecision<Organization>> AddAsync(Guid orgId, int i, int attempts = StreamDecisions.DefaultAttempts) =>
        StreamDecisions.DecideAsync<IOrganizationCommand, Organization>(
            _store, OrganizationDecider.Decider, orgId, _ => Add(orgId, $"dev{i}"), Writer(i), attempts: attempts);

    [Fact]
    public async Task Commands_on_one_stream_arriving_together_never_race_each_other()
    {
        var orgId = await RegisterAsync();

        // One attempt each: a command that lost a race to another of this process would answer Conflict.
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 24).Select(i => Task.Run(() => AddAsync(orgId, i, attempts: 1))));

        Assert.All(outcomes, o => Assert.Equal(DecisionStatus.Appended, o.Status));
        Assert.Equal(Enumerable.Range(3, 24).Select(v => (long)v), outcomes.Select(o => o.Version).Order());
        await using var session = _store.QuerySession();
        Assert.Equal(26, (await session.Events.FetchStreamStateAsync(orgId))!.Version);
    }

    [Fact]
    public async Task Commands_on_many_streams_share_transactions_and_each_event_keeps_its_writer()
    {
        var orgs = new List<Guid>();
        for (var i = 0; i < 64; i++)
        {
            orgs.Add(await RegisterAsync());
        }

        var outcomes = await Task.WhenAll(orgs.Select((orgId, i) => Task.Run(() => AddAsync(orgId, i + 1))));

        Assert.All(outcomes, o => Assert.Equal((DecisionStatus.Appended, 3L), (o.Status, o.Version)));
        await using var session = _store.QuerySession();
        for (var i = 0; i < orgs.Count; i++)
        {
            var added = (await session.Events.FetchStreamAsync(orgs[i])).Single(e => e.Version == 3);
            Assert.Equal(($"dev{i + 1}", $"user-{i + 1}", $"trace-{i + 1}"), (((MemberAdded)added.Data).UserId, added.UserName, added.CorrelationId));
        }

        // The transaction that inserted each add (xmin): 64 commands alone would be 64.
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "select count(distinct xmin::text) from envforge.mt_events where version = 3 and stream_id = any($1)", connection)
        {
            Parameters = { new() { Value = orgs.ToArray() } },
        };
        var transactions = (long)(await count.ExecuteScalarAsync())!;
        Assert.True(transactions <= 32, $"64 concurrent commands on 64 streams took {transactions} transactions");
    }
}
