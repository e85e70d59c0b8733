using System.Collections.Concurrent;
using EnvForge.Projections.Sessions;
using Marten;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// The API's revocation list: sessions revoked within the last access-token lifetime (plus clock skew). Every access token
/// carries its session id (<c>sid</c>); a token of a revoked session is refused at once on the replica that revoked it and
/// within one poll (250 ms by default) on every other, well inside the token's 15 minutes. An in-memory set rather than a
/// database read per request: the check costs a dictionary lookup, and the set stays small because a revocation only
/// needs remembering for as long as a token of that session could still be alive.
/// </summary>
public sealed class RevokedSessions(TimeProvider time, IOptions<AuthOptions> options)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _revoked = new();

    /// <summary>How long a revocation must be remembered: the longest-lived access token plus clock skew.</summary>
    public TimeSpan Memory => options.Value.AccessTokenLifetime + TimeSpan.FromMinutes(1);

    public bool IsRevoked(Guid sessionId) => _revoked.ContainsKey(sessionId);

    public void Add(Guid sessionId, DateTimeOffset revokedAt) => _revoked[sessionId] = revokedAt;

    public int Count => _revoked.Count;

    internal void Forget(DateTimeOffset before)
    {
        foreach (var (id, at) in _revoked)
        {
            if (at < before)
            {
                _revoked.TryRemove(id, out _);
            }
        }
    }

    internal DateTimeOffset Now => time.GetUtcNow();
}

/// <summary>Keeps <see cref="RevokedSessions"/> current from the session snapshots (indexed by revocation time).</summary>
public sealed partial class RevokedSessionsFeed(
    IDocumentStore store, RevokedSessions revoked, IOptions<AuthOptions> options, ILogger<RevokedSessionsFeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationPollInterval);
        do
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(logger, ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollAsync(CancellationToken ct)
    {
        var since = revoked.Now - revoked.Memory;
        await using var session = store.QuerySession();
        foreach (var (id, at) in await SessionDirectory.RevokedSinceAsync(session, since, ct))
        {
            revoked.Add(id, at);
        }

        revoked.Forget(since);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The revocation list could not be refreshed ({Error}); it keeps what it had")]
    private static partial void LogPollFailed(ILogger logger, string error);
}
