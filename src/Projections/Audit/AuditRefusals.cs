using System.Collections.Concurrent;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EnvForge.Projections.Audit;

/// <summary>
/// What the gateway calls from its refuse path, once per refused request for a known link. It only counts, in memory,
/// without I/O: the trail gets at most one record per link per window, and only for a burst.
/// </summary>
public interface IGatewayRefusals
{
    /// <param name="reason">A short stable code (<c>revoked</c>, <c>blocked_path</c>, <c>surface</c>, ...): never a path, token or header.</param>
    void Refused(Guid orgId, Guid linkId, Guid workspaceId, string reason);
}

/// <summary>What a webhook endpoint calls when it refuses a delivery before applying anything (a forged or stale signature).</summary>
public interface IWebhookRefusals
{
    /// <param name="provider">The sender (<c>stripe</c>).</param>
    /// <param name="reason">A short stable code (<c>signature_invalid</c>, <c>timestamp_stale</c>): never the payload or the signature.</param>
    void Refused(string provider, string reason);
}

/// <summary>What sign-in and the token endpoint call when they refuse someone (counted, recorded per reason and window).</summary>
public interface ISignInRefusals
{
    /// <param name="reason">A short stable code (<c>wrong_credentials</c>, <c>account_disabled</c>, <c>session_revoked</c>): never a user name or a token.</param>
    void Refused(string reason);
}

/// <summary>
/// Counts refusals per link (and per webhook provider and reason) over a window and records each burst as one event
/// (<see cref="DevLinkRequestsRefused"/>, <see cref="WebhookRefused"/>), so a flood of refused requests costs the trail
/// one entry per link per window, and the hot path nothing but a counter. Bounded: at most <see cref="MaxTracked"/>
/// links per window; refusals beyond that are counted and logged, not recorded one by one. Runs in every API process.
/// </summary>
public sealed partial class RefusalRecorder(IDocumentStore store, TimeProvider time, IOptions<AuditOptions> options, ILogger<RefusalRecorder> logger)
    : BackgroundService, IGatewayRefusals, IWebhookRefusals, ISignInRefusals
{
    public const int MaxTracked = 10_000;
    private const int MaxReasons = 16;

    private ConcurrentDictionary<(Guid Org, Guid Link, Guid Workspace), Counter> _links = new();
    private ConcurrentDictionary<(string Provider, string Reason), Counter> _webhooks = new();
    private ConcurrentDictionary<string, Counter> _signIns = new(StringComparer.Ordinal);
    private long _untracked;
    private DateTimeOffset _windowStart = time.GetUtcNow();

    public void Refused(Guid orgId, Guid linkId, Guid workspaceId, string reason)
    {
        var links = _links;
        if (!links.TryGetValue((orgId, linkId, workspaceId), out var counter))
        {
            if (links.Count >= MaxTracked)
            {
                Interlocked.Increment(ref _untracked);
                return;
            }

            counter = links.GetOrAdd((orgId, linkId, workspaceId), _ => new Counter());
        }

        counter.Add(Code(reason));
    }

    public void Refused(string provider, string reason) =>
        _webhooks.GetOrAdd((Code(provider), Code(reason)), _ => new Counter()).Add("all");

    void ISignInRefusals.Refused(string reason) => _signIns.GetOrAdd(Code(reason), _ => new Counter()).Add("all");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.RefusalWindow, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping: what this window counted is still recorded below.
            }

            try
            {
                await FlushAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFlushFailed(logger, ex);
            }
        }
    }

    /// <summary>Closes the window: records every burst counted in it, and starts a new one. Returns the records written.</summary>
    public async Task<int> FlushAsync(CancellationToken ct)
    {
        var links = Interlocked.Exchange(ref _links, new());
        var webhooks = Interlocked.Exchange(ref _webhooks, new());
        var signIns = Interlocked.Exchange(ref _signIns, new(StringComparer.Ordinal));
        var untracked = Interlocked.Exchange(ref _untracked, 0);
        var (from, to) = (_windowStart, time.GetUtcNow());
        _windowStart = to;
        if (untracked > 0)
        {
            LogUntracked(logger, untracked, MaxTracked);
        }

        var written = 0;
        foreach (var ((org, link, workspace), counter) in links.Where(l => l.Value.Total >= options.Value.RefusalBurst).OrderBy(l => l.Key.Link))
        {
            var id = Guid.CreateVersion7(to);
            written += await RecordAsync(id, new DevLinkRequestsRefused(id, org, link, workspace, from, to, counter.Total, counter.Reasons(), "gateway", to), ct);
        }

        foreach (var ((provider, reason), counter) in webhooks.OrderBy(w => w.Key.Provider, StringComparer.Ordinal).ThenBy(w => w.Key.Reason, StringComparer.Ordinal))
        {
            var id = Guid.CreateVersion7(to);
            written += await RecordAsync(id, new WebhookRefused(id, Guid.Empty, provider, reason, from, to, counter.Total, $"webhook:{provider}", to), ct);
        }

        foreach (var (reason, counter) in signIns.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var id = Guid.CreateVersion7(to);
            written += await RecordAsync(id, new SignInRefused(id, Guid.Empty, reason, from, to, counter.Total, "signin", to), ct);
        }

        return written;
    }

    private async Task<int> RecordAsync(Guid id, IAuditRecordEvent fact, CancellationToken ct)
    {
        var outcome = await StreamDecisions.DecideAsync(
            store, AuditRecordDecider.Decider, id, _ => new RecordAuditFact(fact), new WriteContext(fact.Actor, $"refusals/{id:N}"), ct: ct);
        return outcome.Changed ? 1 : 0;
    }

    /// <summary>Reason codes are short and plain, whatever the caller passes: nothing else can reach the trail.</summary>
    private static string Code(string value) =>
        value is { Length: > 0 and <= 40 } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-') ? value : "other";

    private sealed class Counter
    {
        private readonly ConcurrentDictionary<string, int> _reasons = new(StringComparer.Ordinal);
        private int _total;

        public int Total => Volatile.Read(ref _total);

        public void Add(string reason)
        {
            Interlocked.Increment(ref _total);
            _reasons.AddOrUpdate(_reasons.Count >= MaxReasons && !_reasons.ContainsKey(reason) ? "other" : reason, 1, (_, n) => n + 1);
        }

        public Dictionary<string, int> Reasons() => _reasons.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording refusal bursts failed; they are lost for this window")]
    private static partial void LogFlushFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} refusals were not tracked this window (more than {Max} links refused at once)")]
    private static partial void LogUntracked(ILogger logger, long count, int max);
}
