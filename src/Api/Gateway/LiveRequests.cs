using System.Collections.Concurrent;
using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Projections.DevLinks;

namespace EnvForge.Api.Gateway;

/// <summary>
/// A request on its way through the gateway (a WebSocket tunnel, a streamed answer, a slow one): its token is cancelled,
/// and <see cref="Closed"/> says why, when the link no longer lets it through.
/// </summary>
public sealed class LiveRequest(LiveRequests owner, Guid linkId, SignedLink? session, DevLinkSurface surface) : CancellationTokenSource
{
    public Guid LinkId { get; } = linkId;

    public SignedLink? Session { get; } = session;

    public DevLinkSurface Surface { get; } = surface;

    /// <summary>Why the gateway closed it; null while it may go on.</summary>
    public Refusal? Closed { get; private set; }

    internal bool Close(Refusal why)
    {
        Closed = why;
        try
        {
            Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it ended on its own meanwhile
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            owner.Leave(this);
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// What the gateway has open, bound to the fate of its link: whenever the directory changes (a revocation, a rotation,
/// a surface or audience change, a member removed) and every <see cref="SweepEvery"/> (expiry by the clock, a directory
/// that stopped catching up), each open request is checked again with the same <see cref="LinkAccess"/> rules as a new
/// one, and closed when they no longer let it through. A request joins before its first check, so a change that lands
/// between that check and the forwarding is caught by the next sweep.
/// </summary>
public sealed class LiveRequests : IDisposable
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<LiveRequest, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly LinkAccess _access;
    private readonly DevLinkDirectory _directory;
    private readonly ILogger<LiveRequests> _logger;
    private readonly ITimer _timer;
    private int _sweepQueued;

    public LiveRequests(LinkAccess access, DevLinkDirectory directory, TimeProvider time, ILogger<LiveRequests> logger)
    {
        _access = access;
        _directory = directory;
        _logger = logger;
        _directory.Changed += QueueSweep;
        _timer = time.CreateTimer(_ => QueueSweep(), null, SweepEvery, SweepEvery);
    }

    public int Count => _open.Count;

    /// <summary>Joins a request: from here on a change to its link reaches it. Dispose the result when the request ends.</summary>
    public LiveRequest Enter(Guid linkId, SignedLink? session, DevLinkSurface surface)
    {
        var request = new LiveRequest(this, linkId, session, surface);
        _open.TryAdd(request, 0);
        return request;
    }

    internal void Leave(LiveRequest request) => _open.TryRemove(request, out _);

    /// <summary>One sweep at a time, off the caller's thread (the directory feed's, or the timer's).</summary>
    private void QueueSweep()
    {
        if (!_open.IsEmpty && Interlocked.Exchange(ref _sweepQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Sweep(), this, preferLocal: false);
        }
    }

    private void Sweep()
    {
        Volatile.Write(ref _sweepQueued, 0);
        foreach (var (request, _) in _open)
        {
            if (request.IsCancellationRequested)
            {
                continue;
            }

            if (_access.Recheck(request.LinkId, request.Session, request.Surface) is { } why && request.Close(why))
            {
                GatewayLog.LiveRequestClosed(_logger, request.LinkId, request.Surface, why.Status);
            }
        }
    }

    public void Dispose()
    {
        _directory.Changed -= QueueSweep;
        _timer.Dispose();
    }
}
