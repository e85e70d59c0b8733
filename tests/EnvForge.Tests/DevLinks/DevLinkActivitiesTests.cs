using EnvForge.Api.Organizations;
using EnvForge.Domain.DevLinks;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using Marten;
using Temporalio.Exceptions;
using Temporalio.Testing;

namespace EnvForge.Tests.DevLinks;

/// <summary>A clock the test moves by hand, from a fixed instant; timers stay on the system's (only the reading of "now" is faked).</summary>
internal sealed class DevLinkClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// The expiry workflow's one activity under <see cref="ActivityEnvironment"/>, against real PostgreSQL: load -> decide ->
/// append at the version read, idempotent by stream. Early is a retryable failure; a revoked link is left alone.
/// </summary>
public sealed class DevLinkActivitiesTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ExpiresAt = IssuedAt.AddHours(1);
    private readonly Guid _org = Guid.CreateVersion7();
    private readonly Guid _workspace = Guid.CreateVersion7();
    private readonly DevLinkClock _clock = new(ExpiresAt);
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(DevLinkActivitiesTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<Guid> SeedLinkAsync(params Func<Guid, IDevLinkEvent>[] after)
    {
        var id = Guid.CreateVersion7();
        await using var session = _store.LightweightSession();
        session.Events.StartStream<DevLink>(id, [
            new DevLinkIssued(id, _org, _workspace, "web", "dev", ExpiresAt, [DevLinkSurface.Web], "k1", new string('A', 64), "dev", IssuedAt),
            .. after.Select(e => e(id)),
        ]);
        await session.SaveChangesAsync();
        return id;
    }

    private Task<bool> ExpireAsync(Guid linkId) =>
        new ActivityEnvironment().RunAsync(() => new DevLinkActivities(_store, _clock).ExpireAsync(linkId));

    private async Task<IReadOnlyList<object>> EventsAsync(Guid linkId)
    {
        await using var session = _store.QuerySession();
        return [.. (await session.Events.FetchStreamAsync(linkId)).Select(e => e.Data)];
    }

    [Fact]
    public async Task Expire_appends_one_expired_event_even_when_run_twice()
    {
        var link = await SeedLinkAsync();

        Assert.True(await ExpireAsync(link));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await ExpireAsync(link));

        var events = await EventsAsync(link);
        var expired = Assert.Single(events.OfType<DevLinkExpired>());
        Assert.Equal(2, events.Count);
        Assert.Equal(new DevLinkExpired(link, _org, ExpiresAt, DevLinkActivities.Actor, ExpiresAt), expired);
        await using var session = _store.QuerySession();
        var state = await session.LoadAsync<DevLink>(link);
        Assert.Equal(ExpiresAt, state!.ExpiredAt);
        Assert.True(state.HasEnded);
    }

    [Fact]
    public async Task Expire_run_twice_at_once_still_appends_one_event()
    {
        var link = await SeedLinkAsync();

        // Both read version 1; the second append at that version is refused by the store, and its retry finds the link ended.
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            try
            {
                return (bool?)await ExpireAsync(link);
            }
            catch (Exception ex) when (EnvForge.Projections.Infrastructure.Concurrency.IsConflict(ex))
            {
                return null;
            }
        }));
        var retried = runs.Contains(null) && await ExpireAsync(link);

        Assert.Equal(1, runs.Count(r => r == true));
        Assert.False(retried);
        Assert.Single((await EventsAsync(link)).OfType<DevLinkExpired>());
    }

    [Fact]
    public async Task Expire_on_a_revoked_link_appends_nothing()
    {
        var link = await SeedLinkAsync(id => new DevLinkRevoked(id, _org, "leaked", "dev", IssuedAt.AddMinutes(10)));

        Assert.False(await ExpireAsync(link));

        var events = await EventsAsync(link);
        Assert.Equal(2, events.Count);
        Assert.Empty(events.OfType<DevLinkExpired>());
    }

    [Fact]
    public async Task Expire_before_the_expiry_time_is_a_retryable_failure_and_appends_nothing()
    {
        var link = await SeedLinkAsync();
        _clock.Set(ExpiresAt.AddSeconds(-2));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => ExpireAsync(link));

        Assert.Equal("dev_link.not_yet_due", failure.ErrorType);
        Assert.False(failure.NonRetryable);
        Assert.Single(await EventsAsync(link));

        // The retry a moment later, once due, records it.
        _clock.Set(ExpiresAt);
        Assert.True(await ExpireAsync(link));
    }

    [Fact]
    public async Task Expire_of_a_link_whose_issue_was_never_recorded_does_nothing()
    {
        var unknown = Guid.CreateVersion7();

        Assert.False(await ExpireAsync(unknown));

        Assert.Empty(await EventsAsync(unknown));
    }
}
