using System.Collections.Concurrent;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using Marten;
using Temporalio.Exceptions;
using Temporalio.Testing;
using ServiceSpec = EnvForge.Domain.Workspaces.ServiceSpec;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// The grant's activities under Temporal's ActivityEnvironment against real PostgreSQL: load the stream, act on the host
/// (a recording stand-in here; <see cref="SsmRootAccessHostTests"/> covers the real one), decide, append at the version
/// read. Assertions read the raw event stream, not only the inline snapshot.
/// </summary>
public sealed class ElevationActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string Reason = "kernel module fails to load; need dmesg and modprobe";
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly RootPolicy BreakGlass = new(RootMode.BreakGlass, Hour, 1, Hour);

    private readonly Guid _org = Guid.CreateVersion7();
    private readonly Guid _workspace = Guid.CreateVersion7();
    private readonly Guid _grant = Guid.CreateVersion7();
    private readonly TestClock _clock = new(T0);
    private DocumentStore _store = null!;
    private RecordingRootAccessHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(ElevationActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        _host = new RecordingRootAccessHost(_store);

        await using var session = _store.LightweightSession();
        session.Events.StartStream<Organization>(_org,
            new OrganizationRegistered(_org, "Acme", ExternalIds.New(), "alice", T0),
            new MemberAdded(_org, "alice", null, Role.Owner, "alice", T0),
            new RootPolicyChanged(_org, BreakGlass, "alice", T0));
        session.Events.StartStream<Workspace>(_workspace,
            new WorkspaceCreated(_workspace, _org, "acme-dev", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000)], [], "dev", T0),
            new ProvisioningStarted(_workspace, _org, "dev", T0),
            new WorkspacePlaced(_workspace, _org, "i-0a1b2c3d4e5f60718", "us-east-1", "system", T0));
        await session.SaveChangesAsync();
    }

    private ElevationActivities Activities() => new(_store, _host, _clock);

    private ElevationInput Input => new(_grant, _org, _workspace, (T0 + Hour).UtcDateTime);

    private static ActivityEnvironment FirstAttempt() => new();

    private static ActivityEnvironment Retry() => new() { Info = ActivityEnvironment.DefaultInfo with { Attempt = 2 } };

    private static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private ElevationRequested Requested() => new(_grant, _org, _workspace, "dev", Reason, null, RootMode.BreakGlass, HalfHour, 1, T0 + Hour, "dev", T0);

    private ElevationApproved Approved(TimeSpan? window = null) => new(_grant, _org, "ada", window ?? HalfHour, 1, 1, "ada", At(5));

    /// <summary>Active from minute 10 to minute 40.</summary>
    private ElevationActivated Activated() => new(_grant, _org, _workspace, At(10), At(40), ElevationActivities.Actor, At(10));

    private ElevationRevoked Revoked(DateTimeOffset at) => new(_grant, _org, "ada", "incident resolved", "ada", at);

    private async Task GivenAsync(params IElevationEvent[] events)
    {
        await using var session = _store.LightweightSession();
        session.Events.StartStream<RootElevation>(_grant, events);
        await session.SaveChangesAsync();
    }

    /// <summary>What the API does while an activity runs: record an event on the grant without going through the activity.</summary>
    private void RecordMeanwhile(IElevationEvent @event)
    {
        using var session = _store.LightweightSession();
        session.Events.Append(_grant, @event);
        session.SaveChangesAsync().GetAwaiter().GetResult();
    }

    private async Task<IReadOnlyList<object>> StreamAsync()
    {
        await using var session = _store.QuerySession();
        return [.. (await session.Events.FetchStreamAsync(_grant)).Select(e => e.Data)];
    }

    private async Task<RootElevation> SnapshotAsync()
    {
        await using var session = _store.QuerySession();
        return (await session.LoadAsync<RootElevation>(_grant))!;
    }

    // --- exactly once under retry ---

    [Fact]
    public async Task Activate_run_again_as_a_retry_appends_one_activation_and_grants_once()
    {
        await GivenAsync(Requested(), Approved());
        _clock.Now = At(10);

        var first = await FirstAttempt().RunAsync(() => Activities().ActivateAsync(Input));
        var retried = await Retry().RunAsync(() => Activities().ActivateAsync(Input));

        Assert.Equal(ElevationStatus.Active, first.Status);
        Assert.Equal(first, retried);
        var stream = await StreamAsync();
        Assert.Single(stream.OfType<ElevationActivated>());
        Assert.Equal(3, stream.Count);
        Assert.Equal(["grant"], _host.Calls.Select(c => c.Kind));
    }

    [Fact]
    public async Task CloseOut_run_again_as_a_retry_appends_one_closeout()
    {
        await GivenAsync(Requested(), Approved(), Activated());
        _clock.Now = At(40);

        var first = await FirstAttempt().RunAsync(() => Activities().CloseOutAsync(Input, null));
        var retried = await Retry().RunAsync(() => Activities().CloseOutAsync(Input, null));

        Assert.Equal(ElevationStatus.ClosedOut, first.Status);
        Assert.Equal(ElevationStatus.ClosedOut, retried.Status);
        var stream = await StreamAsync();
        var closedOut = Assert.Single(stream.OfType<ElevationClosedOut>());
        Assert.Equal(ElevationEnding.Expired, closedOut.How);
        Assert.Equal(4, stream.Count);
    }

    [Fact]
    public async Task ExpirePending_run_again_as_a_retry_appends_one_expiry()
    {
        await GivenAsync(Requested());
        _clock.Now = T0 + Hour;

        var first = await FirstAttempt().RunAsync(() => Activities().ExpirePendingAsync(Input));
        var retried = await Retry().RunAsync(() => Activities().ExpirePendingAsync(Input));

        Assert.Equal(ElevationStatus.Expired, first.Status);
        Assert.Equal(ElevationStatus.Expired, retried.Status);
        var stream = await StreamAsync();
        var expired = Assert.Single(stream.OfType<ElevationExpired>());
        Assert.Equal(ExpiryCause.DeadlinePassed, expired.Cause);
        Assert.Equal(2, stream.Count);
        Assert.Empty(_host.Calls);
    }

    // --- activation ---

    [Fact]
    public async Task Activate_puts_root_on_the_host_then_records_the_approved_window_from_now()
    {
        var approvedWindow = TimeSpan.FromMinutes(20); // shortened by the approver from the 30 requested
        await GivenAsync(Requested(), Approved(approvedWindow));
        _clock.Now = At(12);

        var state = await FirstAttempt().RunAsync(() => Activities().ActivateAsync(Input));

        var grant = Assert.Single(_host.Calls);
        Assert.Equal(("grant", _grant, _workspace), (grant.Kind, grant.GrantId, grant.WorkspaceId));
        Assert.Equal(At(12) + approvedWindow, grant.ExpiresAt);
        Assert.Equal(ElevationStatus.Approved, grant.StatusThen); // root went on the host before the activation was recorded
        var activated = Assert.IsType<ElevationActivated>((await StreamAsync())[^1]);
        Assert.Equal(At(12), activated.NotBefore);
        Assert.Equal(activated.NotBefore + approvedWindow, activated.ExpiresAt);
        Assert.Equal(ElevationActivities.Actor, activated.Actor);
        Assert.Equal(new GrantState(ElevationStatus.Active, (At(12) + approvedWindow).UtcDateTime), state);
        Assert.Equal(activated.ExpiresAt, (await SnapshotAsync()).ExpiresAt);
    }

    [Fact]
    public async Task Activate_after_root_was_disabled_grants_nothing_and_expires_the_grant()
    {
        await GivenAsync(Requested(), Approved());
        await DisableRootAsync();
        _clock.Now = At(10);

        var state = await FirstAttempt().RunAsync(() => Activities().ActivateAsync(Input));

        Assert.Equal(ElevationStatus.Expired, state.Status);
        Assert.Empty(_host.Calls);
        var stream = await StreamAsync();
        Assert.DoesNotContain(stream, e => e is ElevationActivated);
        var expired = Assert.IsType<ElevationExpired>(stream[^1]);
        Assert.Equal(ExpiryCause.PolicyDisabled, expired.Cause);
    }

    [Fact]
    public async Task A_retried_activation_that_finds_root_disabled_takes_root_off_the_host()
    {
        // The first attempt may have put root on the host and failed before recording it; the grant then ends unactivated.
        await GivenAsync(Requested(), Approved());
        await DisableRootAsync();
        _clock.Now = At(10);

        var state = await Retry().RunAsync(() => Activities().ActivateAsync(Input));

        Assert.Equal(ElevationStatus.Expired, state.Status);
        Assert.Equal(["revoke"], _host.Calls.Select(c => c.Kind));
        Assert.Equal(ExpiryCause.PolicyDisabled, Assert.IsType<ElevationExpired>((await StreamAsync())[^1]).Cause);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public async Task Activate_on_a_grant_revoked_before_activation_grants_nothing_and_cleans_up_on_a_retry(int attempt, bool revokesOnHost)
    {
        await GivenAsync(Requested(), Approved(), Revoked(At(7)));
        _clock.Now = At(10);
        var env = new ActivityEnvironment { Info = ActivityEnvironment.DefaultInfo with { Attempt = attempt } };

        var state = await env.RunAsync(() => Activities().ActivateAsync(Input));

        Assert.Equal(new GrantState(ElevationStatus.Revoked), state);
        Assert.Equal(revokesOnHost ? ["revoke"] : [], _host.Calls.Select(c => c.Kind));
        Assert.Equal(3, (await StreamAsync()).Count);
    }

    [Fact]
    public async Task AbandonActivation_takes_root_off_and_closes_out_as_activation_failed()
    {
        await GivenAsync(Requested(), Approved());
        _clock.Now = At(15);

        var state = await FirstAttempt().RunAsync(() => Activities().AbandonActivationAsync(Input));

        Assert.Equal(ElevationStatus.ClosedOut, state.Status);
        var revoke = Assert.Single(_host.Calls);
        Assert.Equal(("revoke", _grant, ElevationStatus.Approved), (revoke.Kind, revoke.GrantId, revoke.StatusThen));
        var closedOut = Assert.IsType<ElevationClosedOut>((await StreamAsync())[^1]);
        Assert.Equal(ElevationEnding.ActivationFailed, closedOut.How);
        Assert.Equal(At(15), closedOut.CredentialsInvalidBefore);
    }

    // --- closeout ---

    [Fact]
    public async Task CloseOut_after_a_recorded_revoke_takes_root_off_then_closes_out_as_revoked_before_expiry()
    {
        await GivenAsync(Requested(), Approved(), Activated(), Revoked(At(15)));
        _clock.Now = At(16);

        var state = await FirstAttempt().RunAsync(() => Activities().CloseOutAsync(Input, null));

        Assert.Equal(ElevationStatus.ClosedOut, state.Status);
        var revoke = Assert.Single(_host.Calls);
        Assert.Equal(("revoke", _grant, _workspace), (revoke.Kind, revoke.GrantId, revoke.WorkspaceId));
        Assert.Equal(ElevationStatus.Active, revoke.StatusThen); // root came off before the closeout was recorded
        var stream = await StreamAsync();
        Assert.Equal(5, stream.Count);
        var closedOut = Assert.IsType<ElevationClosedOut>(stream[^1]);
        Assert.Equal(ElevationEnding.Revoked, closedOut.How);
        Assert.Equal(At(16), closedOut.CredentialsInvalidBefore);
        Assert.True(closedOut.At < Activated().ExpiresAt);
        var snapshot = await SnapshotAsync();
        Assert.Equal((ElevationStatus.ClosedOut, ElevationEnding.Revoked, At(16)), (snapshot.Status, snapshot.Ending, snapshot.CredentialsInvalidBefore));
    }

    [Fact]
    public async Task CloseOut_a_moment_before_expiry_is_a_retryable_not_yet_due_and_appends_nothing()
    {
        await GivenAsync(Requested(), Approved(), Activated());
        _clock.Now = At(40).AddSeconds(-2); // the workflow's timer fired; this worker's clock is slightly behind

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => FirstAttempt().RunAsync(() => Activities().CloseOutAsync(Input, null)));

        Assert.Equal("elevation.not_yet_due", failure.ErrorType);
        Assert.False(failure.NonRetryable);
        Assert.Equal(3, (await StreamAsync()).Count);
        Assert.Equal(ElevationStatus.Active, (await SnapshotAsync()).Status);

        // The retry, once the clock has caught up, closes it out.
        _clock.Now = At(40);
        Assert.Equal(ElevationStatus.ClosedOut, (await Retry().RunAsync(() => Activities().CloseOutAsync(Input, null))).Status);
        Assert.Equal(ElevationEnding.Expired, Assert.IsType<ElevationClosedOut>((await StreamAsync())[^1]).How);
    }

    [Fact]
    public async Task CloseOut_because_root_was_disabled_records_who_disabled_it()
    {
        await GivenAsync(Requested(), Approved(), Activated());
        _clock.Now = At(20);

        var state = await FirstAttempt().RunAsync(() => Activities().CloseOutAsync(Input, "alice"));

        Assert.Equal(ElevationStatus.ClosedOut, state.Status);
        Assert.Equal(["revoke"], _host.Calls.Select(c => c.Kind));
        var closedOut = Assert.IsType<ElevationClosedOut>((await StreamAsync())[^1]);
        Assert.Equal((ElevationEnding.PolicyDisabled, "alice", At(20)), (closedOut.How, closedOut.Actor, closedOut.CredentialsInvalidBefore));
    }

    // --- a concurrent writer between load and append ---

    [Fact]
    public async Task A_revoke_recorded_while_activating_is_decided_again_and_root_comes_off_the_host()
    {
        await GivenAsync(Requested(), Approved());
        _clock.Now = At(10);
        // Once root is on the host, the next reading of the clock is the activation's "now": the stream has been read for
        // writing and not yet appended to. The API records a revoke right then.
        _host.AfterGrant = () => _clock.OnNextRead(() => RecordMeanwhile(Revoked(At(10))));

        var state = await FirstAttempt().RunAsync(() => Activities().ActivateAsync(Input));

        Assert.Equal(ElevationStatus.Revoked, state.Status);
        Assert.Equal(["grant", "revoke"], _host.Calls.Select(c => c.Kind));
        var stream = await StreamAsync();
        Assert.DoesNotContain(stream, e => e is ElevationActivated);
        Assert.IsType<ElevationRevoked>(Assert.Single(stream, e => e is ElevationRevoked));
        Assert.Equal(ElevationStatus.Revoked, (await SnapshotAsync()).Status);
    }

    [Fact]
    public async Task A_revoke_recorded_during_closeout_at_expiry_is_decided_again_as_a_revoke()
    {
        await GivenAsync(Requested(), Approved(), Activated());
        _clock.Now = At(40);
        _host.AfterRevoke = () => _clock.OnNextRead(() => RecordMeanwhile(Revoked(At(40))));

        var state = await FirstAttempt().RunAsync(() => Activities().CloseOutAsync(Input, null));

        Assert.Equal(ElevationStatus.ClosedOut, state.Status);
        var stream = await StreamAsync();
        Assert.Equal(5, stream.Count);
        Assert.IsType<ElevationRevoked>(stream[3]);
        var closedOut = Assert.Single(stream.OfType<ElevationClosedOut>());
        Assert.Equal(ElevationEnding.Revoked, closedOut.How);
    }

    private async Task DisableRootAsync()
    {
        await using var session = _store.LightweightSession();
        session.Events.Append(_org, new RootPolicyChanged(_org, RootPolicy.Default, "alice", At(8)));
        await session.SaveChangesAsync();
    }

    /// <summary>The activities' clock, set by the test. It can run a concurrent write at its next reading.</summary>
    private sealed class TestClock(DateTimeOffset now) : TimeProvider
    {
        private Action? _onNextRead;

        public DateTimeOffset Now { get; set; } = now;

        public void OnNextRead(Action action) => _onNextRead = action;

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Exchange(ref _onNextRead, null)?.Invoke();
            return Now;
        }
    }

    /// <param name="StatusThen">The grant's status on the stream when the host was called.</param>
    private sealed record HostCall(string Kind, Guid WorkspaceId, Guid GrantId, DateTimeOffset? ExpiresAt, ElevationStatus? StatusThen);

    /// <summary>Records what the activities asked of the host, with the grant's recorded status at that moment.</summary>
    private sealed class RecordingRootAccessHost(IDocumentStore store) : IRootAccessHost
    {
        private readonly ConcurrentQueue<HostCall> _calls = new();

        public IReadOnlyList<HostCall> Calls => [.. _calls];

        public Action? AfterGrant { get; set; }

        public Action? AfterRevoke { get; set; }

        public async Task GrantAsync(Workspace workspace, Guid grantId, DateTimeOffset expiresAt, CancellationToken ct)
        {
            _calls.Enqueue(new HostCall("grant", workspace.Id, grantId, expiresAt, await StatusAsync(grantId, ct)));
            AfterGrant?.Invoke();
        }

        public async Task RevokeAsync(Workspace workspace, Guid grantId, CancellationToken ct)
        {
            _calls.Enqueue(new HostCall("revoke", workspace.Id, grantId, null, await StatusAsync(grantId, ct)));
            AfterRevoke?.Invoke();
        }

        private async Task<ElevationStatus?> StatusAsync(Guid grantId, CancellationToken ct)
        {
            await using var session = store.QuerySession();
            return (await session.LoadAsync<RootElevation>(grantId, ct))?.Status;
        }
    }

    public ValueTask DisposeAsync()
    {
        _store?.Dispose();
        return ValueTask.CompletedTask;
    }
}
