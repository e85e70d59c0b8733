using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;
using Marten.Services;
using Npgsql;

namespace EnvForge.Tests.CommandPath;

/// <summary>
/// The one "load -> decide -> append" both command paths use, against real PostgreSQL: starting a stream, repeats,
/// racing writers, expected versions, the authorize and before-append steps, and what every event is stamped with.
/// </summary>
public sealed class StreamDecisionsTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private readonly WriteContext _context = new("alice", "trace-1", "test");
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(StreamDecisionsTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private Task<StreamDecision<Organization>> DecideAsync(
        Guid orgId, Func<Organization?, IOrganizationCommand?> command, long? expected = null, Func<Organization?, Rejection?>? authorize = null,
        Func<Organization, CancellationToken, Task<bool>>? beforeAppend = null) =>
        StreamDecisions.DecideAsync(_store, OrganizationDecider.Decider, orgId, command, _context, expected, authorize, beforeAppend);

    private async Task<Guid> RegisterAsync()
    {
        var orgId = Guid.CreateVersion7(Now);
        var started = await DecideAsync(orgId, _ => new RegisterOrganization(orgId, "Acme", ExternalIds.New(), "alice", null, Now));
        Assert.Equal(DecisionStatus.Appended, started.Status);
        return orgId;
    }

    private async Task<long> VersionAsync(Guid streamId)
    {
        await using var session = _store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(streamId))?.Version ?? 0;
    }

    private static AddMember Add(Guid orgId, string user) =>
        new(orgId, user, null, Role.Developer, "alice", Now) { Memberships = new(Actor: new Membership(Role.Owner, null)) };

    [Fact]
    public async Task A_stream_is_started_by_the_same_path_and_a_repeat_appends_nothing()
    {
        var orgId = Guid.CreateVersion7(Now);
        var register = new RegisterOrganization(orgId, "Acme", ExternalIds.New(), "alice", null, Now);

        var first = await DecideAsync(orgId, _ => register);
        var again = await DecideAsync(orgId, _ => register with { Memberships = new(Actor: new Membership(Role.Owner, null)) });

        Assert.Equal((DecisionStatus.Appended, 2L, 2), (first.Status, first.Version, first.Events.Count));
        Assert.Equal((1, 1), (first.State!.MemberCount, first.State.OwnerCount));
        Assert.Equal((DecisionStatus.Unchanged, 2L, 0), (again.Status, again.Version, again.Events.Count));
        Assert.Equal(2, await VersionAsync(orgId));
    }

    [Fact]
    public async Task A_refusal_is_the_deciders_rejection_and_appends_nothing()
    {
        var orgId = await RegisterAsync();

        var owner = new Membership(Role.Owner, null);
        var refused = await DecideAsync(orgId, _ => new RemoveMember(orgId, "alice", "alice", Now) { Memberships = new(owner, owner) }); // the last owner

        Assert.Equal(DecisionStatus.Rejected, refused.Status);
        Assert.Equal(OrganizationRejections.LastOwner, refused.Rejection);
        Assert.Equal(2, await VersionAsync(orgId));
    }

    [Fact]
    public async Task Writers_that_lose_the_race_decide_again_on_what_is_there_now()
    {
        var orgId = await RegisterAsync();

        // Three writers, three attempts each: a writer can lose at most twice (once to each of the others), so all land.
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => Task.Run(() => DecideAsync(orgId, _ => Add(orgId, $"dev{i}")))));

        Assert.All(outcomes, o => Assert.Equal(DecisionStatus.Appended, o.Status));
        Assert.Equal(5, await VersionAsync(orgId));
        Assert.Equal([3L, 4L, 5L], outcomes.Select(o => o.Version).Order());
    }

    [Fact]
    public async Task A_writer_that_keeps_losing_gives_up_with_a_conflict_and_appends_nothing_of_its_own()
    {
        var orgId = await RegisterAsync();
        var attempts = 0;

        // Each time the command is built, another writer appends first: every attempt fails its version check.
        var outcome = await StreamDecisions.DecideAsync<IOrganizationCommand, Organization>(_store, OrganizationDecider.Decider, orgId, async (_, _, _) =>
        {
            attempts++;
            var other = await DecideAsync(orgId, _ => Add(orgId, $"other{attempts}"));
            Assert.Equal(DecisionStatus.Appended, other.Status);
            return Add(orgId, "loser");
        }, _context);

        Assert.Equal(DecisionStatus.Conflict, outcome.Status);
        Assert.Equal(StreamDecisions.DefaultAttempts, attempts);
        Assert.Equal(2 + attempts, await VersionAsync(orgId)); // the others' events only
    }

    [Fact]
    public async Task A_stale_expected_version_is_refused_before_deciding()
    {
        var orgId = await RegisterAsync();
        var decided = false;

        var outcome = await DecideAsync(orgId, _ =>
        {
            decided = true;
            return Add(orgId, "bob");
        }, expected: 1);

        Assert.Equal((DecisionStatus.PreconditionFailed, 2L), (outcome.Status, outcome.Version));
        Assert.False(decided);
        Assert.Equal(2, await VersionAsync(orgId));
    }

    [Fact]
    public async Task Authorize_runs_before_the_version_check_so_an_outsider_learns_nothing()
    {
        var orgId = await RegisterAsync();
        var outsider = new Rejection("organization.not_found", "not visible", RejectionKind.NotFound);

        var outcome = await DecideAsync(orgId, _ => Add(orgId, "bob"), expected: 41, authorize: _ => outsider);

        Assert.Equal(DecisionStatus.Rejected, outcome.Status);
        Assert.Same(outsider, outcome.Rejection);
    }

    [Fact]
    public async Task A_before_append_step_that_says_stop_leaves_the_stream_as_it_was()
    {
        var orgId = await RegisterAsync();
        Organization? seen = null;

        var outcome = await DecideAsync(orgId, _ => Add(orgId, "bob"), beforeAppend: (after, _) =>
        {
            seen = after;
            return Task.FromResult(false);
        });

        Assert.Equal(DecisionStatus.Abandoned, outcome.Status);
        Assert.Equal(2, seen!.MemberCount); // it saw the state the decision would lead to
        Assert.Equal(2, await VersionAsync(orgId));
    }

    [Fact]
    public async Task Every_event_is_stamped_with_its_writer_correlation_and_causation()
    {
        var orgId = await RegisterAsync();

        await using var session = _store.QuerySession();
        var events = await session.Events.FetchStreamAsync(orgId);

        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("trace-1", e.CorrelationId);
            Assert.Equal("test", e.CausationId);
            Assert.Equal("alice", e.UserName);
        });
    }

    [Fact]
    public async Task An_org_append_reads_no_snapshot_of_another_stream_type()
    {
        var orgId = await RegisterAsync();
        var statements = new StatementRecorder();

        await using (var session = _store.LightweightSession())
        {
            session.Logger = statements;
            session.Events.Append(orgId, new MemberAdded(orgId, "bob", null, Role.Developer, "alice", Now));
            await session.SaveChangesAsync();
        }

        // Each inline projection takes only its own stream's events: a snapshot type of another stream (sessions, wallets,
        // workspaces...) loaded for the org's id would be a round trip per append for nothing.
        var reads = statements.Texts.Where(t => t.TrimStart().StartsWith("select", StringComparison.OrdinalIgnoreCase) && t.Contains("mt_doc_", StringComparison.Ordinal)).ToList();
        Assert.True(reads.All(t => t.Contains("mt_doc_organization", StringComparison.Ordinal)), "documents read on an org append:\n" + string.Join("\n", reads));
    }

    /// <summary>Every statement a session sends, alone or in a batch.</summary>
    private sealed class StatementRecorder : IMartenSessionLogger
    {
        public List<string> Texts { get; } = [];

        public void OnBeforeExecute(NpgsqlCommand command) => Texts.Add(command.CommandText);

        public void OnBeforeExecute(NpgsqlBatch batch) => Texts.AddRange(batch.BatchCommands.Select<NpgsqlBatchCommand, string>(c => c.CommandText));

        public void LogSuccess(NpgsqlCommand command)
        {
        }

        public void LogFailure(NpgsqlCommand command, Exception ex)
        {
        }

        public void LogSuccess(NpgsqlBatch batch)
        {
        }

        public void LogFailure(NpgsqlBatch batch, Exception ex)
        {
        }

        public void LogFailure(Exception ex, string message)
        {
        }

        public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
        {
        }
    }
}
