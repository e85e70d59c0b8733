using EnvForge.Domain.DevLinks;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Temporalio.Exceptions;

namespace EnvForge.Tests.CommandPath;

/// <summary>The activities' command path: a repeated step appends nothing, a refusal is a non-retryable failure unless its code is retryable.</summary>
public sealed class ActivityStreamsTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(ActivityStreamsTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<Guid> IssueAsync()
    {
        var id = Guid.CreateVersion7(IssuedAt);
        await using var session = _store.LightweightSession();
        session.Events.StartStream<DevLink>(id, new DevLinkIssued(
            id, Guid.CreateVersion7(IssuedAt), Guid.CreateVersion7(IssuedAt), "web", "dev", IssuedAt.AddHours(1), [DevLinkSurface.Web], "k1",
            new string('A', 64), "dev", IssuedAt));
        await session.SaveChangesAsync();
        return id;
    }

    [Fact]
    public async Task A_step_already_on_the_stream_appends_nothing_the_second_time()
    {
        var id = await IssueAsync();
        var expire = new ExpireDevLink(id, "system:test", IssuedAt.AddHours(2));

        var first = await ActivityStreams.DecideAsync(_store, DevLinkDecider.Decider, id, _ => expire, "system:test");
        var retried = await ActivityStreams.DecideAsync(_store, DevLinkDecider.Decider, id, _ => expire, "system:test");

        Assert.True(first.Changed);
        Assert.False(retried.Changed);
        Assert.Equal(2, retried.Version);
        Assert.NotNull(retried.State!.ExpiredAt);
    }

    [Fact]
    public async Task A_refusal_is_a_non_retryable_failure_with_the_rejection_code()
    {
        var id = await IssueAsync();
        var tooEarly = new ExpireDevLink(id, "system:test", IssuedAt.AddMinutes(5));

        var final = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => ActivityStreams.DecideAsync(_store, DevLinkDecider.Decider, id, _ => tooEarly, "system:test"));
        var retryable = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => ActivityStreams.DecideAsync(_store, DevLinkDecider.Decider, id, _ => tooEarly, "system:test", "dev_link.not_yet_due"));

        Assert.Equal(("dev_link.not_yet_due", true), (final.ErrorType, final.NonRetryable));
        Assert.Equal(("dev_link.not_yet_due", false), (retryable.ErrorType, retryable.NonRetryable));
    }

    [Fact]
    public async Task No_stream_and_nothing_to_ask_is_not_an_error()
    {
        var outcome = await ActivityStreams.DecideAsync<IDevLinkCommand, DevLink>(
            _store, DevLinkDecider.Decider, Guid.CreateVersion7(IssuedAt), link => link is null ? null : new ExpireDevLink(link.Id, "x", IssuedAt), "system:test");

        Assert.Equal(DecisionStatus.Unchanged, outcome.Status);
        Assert.Null(outcome.State);
    }
}
