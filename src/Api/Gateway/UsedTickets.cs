using System.Collections.Concurrent;

namespace EnvForge.Api.Gateway;

/// <summary>
/// The nonces of open tickets already used, each kept until its ticket expires: a ticket opens the link once (per
/// gateway process; tickets live a minute, so a restart can at most let one be used again within that minute).
/// </summary>
public sealed class UsedTickets
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
    private long _nextSweepTicks;

    /// <summary>True the first time a nonce is used; false every time after, until its ticket has expired.</summary>
    public bool TryUse(string nonce, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextSweepTicks, (now + TimeSpan.FromSeconds(30)).UtcTicks, due) == due)
        {
            foreach (var (key, until) in _used)
            {
                if (until < now)
                {
                    _used.TryRemove(key, out _);
                }
            }
        }

        return _used.TryAdd(nonce, expiresAt);
    }
}
