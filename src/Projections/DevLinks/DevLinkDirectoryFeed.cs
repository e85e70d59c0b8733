using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EnvForge.Projections.DevLinks;

public sealed class DevLinkDirectoryOptions
{
    public const string Section = "Gateway";

    /// <summary>How often the feed asks for new events. A revocation reaches the gateway within this (plus one query).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long the gateway serves from a directory that has not caught up (the database unreachable): after that it
    /// answers 503, because a revocation it cannot see would otherwise go unenforced.
    /// </summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a hole in the event sequence is waited for: a transaction that took a sequence number may commit after
    /// a later one; a rolled-back one leaves a hole forever.
    /// </summary>
    public TimeSpan GapTimeout { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// Keeps <see cref="DevLinkDirectory"/> current: loads every live link and workspace (and the members of each org with
/// a link that has an audience) at start, then polls the event table for events past its mark and reloads the snapshot
/// of each stream they touch (an idempotent step, so an event
/// seen twice is harmless). The mark only moves over a hole in the sequence once the hole is older than the gap
/// timeout, so a transaction that commits late is not skipped.
/// </summary>
public sealed partial class DevLinkDirectoryFeed(
    IDocumentStore store, DevLinkDirectory directory, Microsoft.Extensions.Options.IOptions<DevLinkDirectoryOptions> options, TimeProvider time,
    ILogger<DevLinkDirectoryFeed> logger) : BackgroundService
{
    private const int Batch = 1000;
    private long _mark;
    private long _gapSince = -1;
    private DateTimeOffset _gapSeenAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!directory.IsLoaded)
                {
                    await LoadAllAsync(stoppingToken);
                }

                await PollAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogPollFailed(logger, ex.GetType().Name, ex.Message);
            }

            await Task.Delay(options.Value.PollInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One catch-up step; public so tests can drive the feed without waiting for the loop.</summary>
    public async Task PollAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var rows = await ReadAfterAsync(_mark, ct);
        if (rows.Count == 0)
        {
            directory.MarkSynced(started);
            return;
        }

        var links = rows.Where(r => r.Type.StartsWith("dev_link.", StringComparison.Ordinal)).Select(r => r.StreamId).Distinct().ToList();
        var workspaces = rows.Where(r => r.Type.StartsWith("workspace.", StringComparison.Ordinal)).Select(r => r.StreamId).Distinct().ToList();
        var orgs = rows.Where(r => r.Type.StartsWith("organization.", StringComparison.Ordinal) && directory.TracksOrg(r.StreamId))
            .Select(r => r.StreamId).Distinct().ToList();
        await ReloadAsync(links, workspaces, orgs, ct);
        Advance(rows);
        directory.MarkSynced(started);
    }

    private async Task LoadAllAsync(CancellationToken ct)
    {
        // The mark first, and behind the newest events by the gap timeout: a transaction that took a sequence number
        // before the load but commits after it is read by the next polls (reloading a snapshot twice is harmless).
        _mark = await SettledSequenceAsync(ct);
        await using var session = store.QuerySession();
        var now = time.GetUtcNow();
        var live = await session.Query<DevLink>().Where(l => l.RevokedAt == null && l.ExpiredAt == null && l.ExpiresAt > now).ToListAsync(ct);
        foreach (var link in live)
        {
            directory.Put(link);
        }

        await LoadOrgsAsync(session, live.Where(l => l.Audience is not null).Select(l => l.OrgId).Distinct().ToList(), ct);

        foreach (var workspace in await session.Query<Workspace>().Where(w => w.Status == WorkspaceStatus.Ready).ToListAsync(ct))
        {
            directory.Put(workspace);
        }

        directory.MarkLoaded();
        LogLoaded(logger, directory.LinkCount, _mark);
    }

    private async Task ReloadAsync(List<Guid> links, List<Guid> workspaces, List<Guid> orgs, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var loaded = links.Count > 0 ? (await session.LoadManyAsync<DevLink>(ct, links)).ToDictionary(l => l.Id) : [];
        foreach (var link in loaded.Values)
        {
            if (link.Audience is not null && !directory.TracksOrg(link.OrgId) && !orgs.Contains(link.OrgId))
            {
                orgs.Add(link.OrgId); // its first link with an audience: follow the org's members from now on
            }
        }

        // The members before the links: a link with an audience is never in the directory without its org's members.
        await LoadOrgsAsync(session, orgs, ct);
        foreach (var id in links)
        {
            if (loaded.TryGetValue(id, out var link))
            {
                directory.Put(link);
            }
            else
            {
                directory.RemoveLink(id);
            }
        }

        if (workspaces.Count > 0)
        {
            foreach (var workspace in await session.LoadManyAsync<Workspace>(ct, workspaces))
            {
                directory.Put(workspace);
            }
        }
    }

    private async Task LoadOrgsAsync(IQuerySession session, List<Guid> orgs, CancellationToken ct)
    {
        if (orgs.Count == 0)
        {
            return;
        }

        // Each org's members from the member directory (the org snapshot holds counts, not members).
        var members = await MemberDirectory.MembersOfAsync(session, [.. orgs], ct);
        var existing = (await session.LoadManyAsync<Organization>(ct, orgs)).Select(o => o.Id).ToHashSet();
        foreach (var id in orgs)
        {
            if (existing.Contains(id))
            {
                directory.PutMembers(id, members[id].Select(m => (m.UserId, m.Role)));
            }
            else
            {
                directory.RemoveOrg(id);
            }
        }
    }

    /// <summary>Moves the mark over the contiguous prefix of what was read, and over a hole older than the gap timeout.</summary>
    private void Advance(List<EventRow> rows)
    {
        foreach (var row in rows)
        {
            if (row.Sequence == _mark + 1)
            {
                _mark = row.Sequence;
                _gapSince = -1;
                continue;
            }

            if (_gapSince != _mark)
            {
                _gapSince = _mark;
                _gapSeenAt = time.GetUtcNow();
                return;
            }

            if (time.GetUtcNow() - _gapSeenAt < options.Value.GapTimeout)
            {
                return;
            }

            _mark = row.Sequence; // the hole never filled: a rolled-back transaction
            _gapSince = -1;
        }
    }

    private sealed record EventRow(long Sequence, Guid StreamId, string Type);

    private async Task<List<EventRow>> ReadAfterAsync(long mark, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select seq_id, stream_id, type from {store.Options.Events.DatabaseSchemaName}.mt_events where seq_id > @mark order by seq_id limit {Batch}",
            connection);
        command.Parameters.AddWithValue("mark", mark);
        var rows = new List<EventRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new EventRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>The highest sequence among events recorded longer ago than the gap timeout.</summary>
    private async Task<long> SettledSequenceAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select coalesce(max(seq_id), 0) from {store.Options.Events.DatabaseSchemaName}.mt_events where timestamp < now() - make_interval(secs => @gap)",
            connection);
        command.Parameters.AddWithValue("gap", options.Value.GapTimeout.TotalSeconds); // the database's clock: the one that stamped the events
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return connection;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dev link directory loaded: {Links} live links, from event {Mark}")]
    private static partial void LogLoaded(ILogger logger, int links, long mark);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link directory poll failed ({Error}): {Message}; retrying")]
    private static partial void LogPollFailed(ILogger logger, string error, string message);
}
