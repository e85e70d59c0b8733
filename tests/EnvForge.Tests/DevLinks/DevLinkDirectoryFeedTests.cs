using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;
using Marten.Services;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// The gateway's in-memory directory fed from real PostgreSQL: the feed runs as the hosted service it is, polling every
/// 20 ms, and the tests append events directly and wait (with a deadline) for the directory to show them. A transaction
/// that took its sequence number before a later one committed must still be seen when it commits.
/// </summary>
public sealed class DevLinkDirectoryFeedTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly Guid _org = Guid.CreateVersion7();
    private readonly DevLinkDirectory _directory = new();
    private DocumentStore _store = null!;
    private DevLinkDirectoryFeed? _feed;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(DevLinkDirectoryFeedTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
        {
            await _feed.StopAsync(CancellationToken.None);
            _feed.Dispose();
        }

        await _store.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private async Task StartFeedAsync(TimeSpan? gapTimeout = null)
    {
        var options = new DevLinkDirectoryOptions { PollInterval = TimeSpan.FromMilliseconds(20), GapTimeout = gapTimeout ?? TimeSpan.FromMinutes(1) };
        _feed = new DevLinkDirectoryFeed(_store, _directory, Options.Create(options), TimeProvider.System, NullLogger<DevLinkDirectoryFeed>.Instance);
        await _feed.StartAsync(CancellationToken.None);
        await UntilAsync(() => _directory.IsLoaded, "the first full load");
    }

    /// <summary>Polls the in-memory directory (no database round trip) until the condition holds, or fails at the deadline.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the directory did not show {what} within {Deadline.TotalSeconds} s");
            await Task.Delay(10);
        }
    }

    private LinkBinding Link(Guid id) => _directory.TryGetLink(id, out var binding) ? binding : throw new InvalidOperationException($"link {id} is not in the directory");

    private RuntimeBinding Runtime(Guid id) => _directory.TryGetRuntime(id, out var runtime) ? runtime : throw new InvalidOperationException($"workspace {id} is not in the directory");

    private async Task AppendAsync(Guid stream, params object[] events)
    {
        await using var session = _store.LightweightSession();
        session.Events.Append(stream, events);
        await session.SaveChangesAsync();
    }

    private DevLinkIssued Issued(Guid link, Guid workspace, TimeSpan? lifetime = null, string hash = Hashes.First) =>
        new(link, _org, workspace, "web", "dev", DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromHours(1)), [DevLinkSurface.Web, DevLinkSurface.Api],
            "k1", hash, "dev", DateTimeOffset.UtcNow);

    private async Task<Guid> IssueAsync(Guid workspace, TimeSpan? lifetime = null)
    {
        var link = Guid.CreateVersion7();
        await AppendAsync(link, Issued(link, workspace, lifetime));
        return link;
    }

    private DevLinkRevoked Revoked(Guid link) => new(link, _org, "leaked", "dev", DateTimeOffset.UtcNow);

    private async Task<Guid> ReadyWorkspaceAsync(string instanceId = "i-0a1b2c3d4e5f60718")
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(id,
            new WorkspaceCreated(id, _org, $"ws-{id:N}"[..12], "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000), new ServiceSpec("api", 8080)],
                [], "dev", now),
            new WorkspacePlaced(id, _org, instanceId, "us-east-1", "system", now),
            new WorkspaceReady(id, _org, ["ec2"], "system", now));
        return id;
    }

    [Fact]
    public async Task The_first_load_takes_live_links_and_ready_workspaces_only()
    {
        var workspace = await ReadyWorkspaceAsync();
        var requested = Guid.CreateVersion7();
        await AppendAsync(requested, new WorkspaceCreated(requested, _org, "pending", "https://git.example.com/acme/app", "main", [], [], "dev", DateTimeOffset.UtcNow));
        var live = await IssueAsync(workspace);
        var revoked = await IssueAsync(workspace);
        await AppendAsync(revoked, Revoked(revoked));
        var lapsed = Guid.CreateVersion7();
        await AppendAsync(lapsed, Issued(lapsed, workspace) with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });

        await StartFeedAsync();

        var binding = Link(live);
        Assert.Equal((_org, workspace, "web", 1, "k1", false, false), (binding.OrgId, binding.WorkspaceId, binding.Service, binding.Generation, binding.KeyId, binding.Ended, binding.FirstUseRecorded));
        Assert.Equal(Convert.FromHexString(Hashes.First), binding.TokenHash);
        Assert.Equal([DevLinkSurface.Web, DevLinkSurface.Api], binding.Surfaces.Order());
        // Ended links are either left out or known as ended (recent events are read again after the load, to catch
        // transactions in flight at start): never usable.
        Assert.True(!_directory.TryGetLink(revoked, out var r) || r.Ended);
        Assert.True(!_directory.TryGetLink(lapsed, out var l) || !l.IsUsable(DateTimeOffset.UtcNow));

        var runtime = Runtime(workspace);
        Assert.True(runtime.Live);
        Assert.False(runtime.Awake);
        Assert.Equal("i-0a1b2c3d4e5f60718", runtime.InstanceId);
        Assert.Equal(8080, runtime.ServicePorts["api"]);
        Assert.True(!_directory.TryGetRuntime(requested, out var pending) || !pending.Live);
    }

    [Fact]
    public async Task Issuing_rotating_changing_surfaces_first_use_and_revoking_after_start_reach_the_directory()
    {
        var workspace = await ReadyWorkspaceAsync();
        await StartFeedAsync();

        var link = await IssueAsync(workspace);
        await UntilAsync(() => _directory.TryGetLink(link, out _), "the issued link");
        Assert.True(Link(link).IsUsable(DateTimeOffset.UtcNow));

        await AppendAsync(link, new DevLinkFirstUsed(link, _org, 1, "gateway", DateTimeOffset.UtcNow));
        await UntilAsync(() => Link(link).FirstUseRecorded, "the first use");

        await AppendAsync(link, new DevLinkRotated(link, _org, 2, "k2", Hashes.Second, "dev", DateTimeOffset.UtcNow));
        await UntilAsync(() => Link(link).Generation == 2, "the rotation");
        Assert.Equal(Convert.FromHexString(Hashes.Second), Link(link).TokenHash);
        Assert.Equal("k2", Link(link).KeyId);
        Assert.False(Link(link).FirstUseRecorded); // the new generation has not been used yet

        await AppendAsync(link, new DevLinkSurfacesChanged(link, _org, [DevLinkSurface.Assets], "dev", DateTimeOffset.UtcNow));
        await UntilAsync(() => Link(link).Surfaces.SetEquals([DevLinkSurface.Assets]), "the new surfaces");

        await AppendAsync(link, Revoked(link));
        await UntilAsync(() => Link(link).Ended, "the revoke");
        Assert.False(Link(link).IsUsable(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_link_expired_by_its_workflow_is_ended_in_the_directory()
    {
        var workspace = await ReadyWorkspaceAsync();
        var link = await IssueAsync(workspace, TimeSpan.FromMinutes(5));
        await StartFeedAsync();
        Assert.False(Link(link).Ended);

        await AppendAsync(link, new DevLinkExpired(link, _org, DateTimeOffset.UtcNow, "system:dev-links", DateTimeOffset.UtcNow));

        await UntilAsync(() => Link(link).Ended, "the expiry");
    }

    [Fact]
    public async Task A_workspace_waking_and_sleeping_reaches_the_directory()
    {
        var workspace = await ReadyWorkspaceAsync();
        await StartFeedAsync();
        Assert.False(Runtime(workspace).Awake);

        await AppendAsync(workspace, new WorkspaceWoke(workspace, _org, WakeTrigger.DevUrl, [], "system:runtime", DateTimeOffset.UtcNow));
        await UntilAsync(() => Runtime(workspace).Awake, "the wake");

        await AppendAsync(workspace, new WorkspaceSlept(workspace, _org, "idle", "system:runtime", DateTimeOffset.UtcNow));
        await UntilAsync(() => !Runtime(workspace).Awake, "the sleep");

        // A workspace that becomes ready after the start appears too.
        var later = await ReadyWorkspaceAsync("i-0fedcba9876543210");
        await UntilAsync(() => _directory.TryGetRuntime(later, out _), "the new workspace");
        Assert.Equal("i-0fedcba9876543210", Runtime(later).InstanceId);
    }

    [Fact]
    public async Task A_revoke_that_commits_after_a_later_event_is_not_skipped()
    {
        var workspace = await ReadyWorkspaceAsync();
        var link = await IssueAsync(workspace);
        await StartFeedAsync();

        // Transaction A takes its sequence number for the revoke and stays open ...
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var held = await connection.BeginTransactionAsync();
        await using (var session = _store.LightweightSession(SessionOptions.ForTransaction(held)))
        {
            session.Events.Append(link, Revoked(link));
            await session.SaveChangesAsync();
        }

        var revokeSequence = await SequenceOfLastEventAsync(link, connection);

        // ... while B (a later sequence number) commits, and the feed reads past it, more than once.
        var other = await IssueAsync(workspace);
        await UntilAsync(() => _directory.TryGetLink(other, out _), "the later link");
        await AppendAsync(other, new DevLinkSurfacesChanged(other, _org, [DevLinkSurface.Web], "dev", DateTimeOffset.UtcNow));
        await UntilAsync(() => Link(other).Surfaces.Count == 1, "the later change");
        Assert.True(revokeSequence < await SequenceOfLastEventAsync(other));
        Assert.False(Link(link).Ended);

        await held.CommitAsync();

        await UntilAsync(() => Link(link).Ended, "the revoke that committed late");
    }

    [Fact]
    public async Task A_revoke_in_flight_while_the_feed_starts_is_not_skipped()
    {
        var workspace = await ReadyWorkspaceAsync();
        var link = await IssueAsync(workspace);

        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var held = await connection.BeginTransactionAsync();
        await using (var session = _store.LightweightSession(SessionOptions.ForTransaction(held)))
        {
            session.Events.Append(link, Revoked(link));
            await session.SaveChangesAsync();
        }

        var other = await IssueAsync(workspace); // commits with a later sequence number
        await StartFeedAsync();
        Assert.False(Link(link).Ended);
        Assert.True(_directory.TryGetLink(other, out _));

        await held.CommitAsync();

        await UntilAsync(() => Link(link).Ended, "the revoke that was in flight at start");
    }

    private async Task<long> SequenceOfLastEventAsync(Guid stream, NpgsqlConnection? within = null)
    {
        var owned = within is null ? _store.Storage.Database.CreateConnection() : null;
        var connection = within ?? owned!;
        try
        {
            if (owned is not null)
            {
                await owned.OpenAsync();
            }

            await using var command = new NpgsqlCommand("select max(seq_id) from envforge.mt_events where stream_id = @id", connection);
            command.Parameters.AddWithValue("id", stream);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }
        }
    }

    private static class Hashes
    {
        public const string First = "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9";
        public const string Second = "F9E8D7C6B5A40392817F6E5D4C3B2A10F9E8D7C6B5A40392817F6E5D4C3B2A10";
    }
}
