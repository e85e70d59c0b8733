using EnvForge.Domain.Audit;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EnvForge.Projections.Audit;

public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>How often each org's chain is sealed (when it grew since its last seal).</summary>
    public TimeSpan SealInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest time range one export may cover.</summary>
    public TimeSpan MaxExportSpan { get; set; } = TimeSpan.FromDays(366);

    /// <summary>Gateway refusals are counted per link over this window and recorded at most once per window.</summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A link's refusals in one window are recorded only from this many on (a burst, not a stray request).</summary>
    public int RefusalBurst { get; set; } = 5;

    /// <summary>Subjects who may run platform operations (projection rebuilds) and read the platform's own trail.</summary>
    public List<string> Operators { get; set; } = [];
}

/// <summary>Where each org's chain was last sealed (kept apart from the projection's documents, so a rebuild keeps it).</summary>
public sealed record AuditSealMark(Guid Id, long ToIndex);

/// <summary>
/// Seals every org's chain at intervals: for each org whose chain grew since its last seal, a signed digest of the newest
/// entry's hash (which vouches for every entry before it). Runs in the projector process (the one with the daemon).
/// A chain whose head went back (a rebuild in progress) is not sealed until it is past its last seal again.
/// </summary>
public sealed partial class AuditSealer(
    IDocumentStore store, AuditSigningKeys keys, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditSealer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SealAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSealFailed(logger, ex);
            }

            await Task.Delay(options.Value.SealInterval, time, stoppingToken);
        }
    }

    /// <summary>Seals every chain that grew; returns the seals written.</summary>
    public async Task<IReadOnlyList<AuditSeal>> SealAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var heads = await session.Query<AuditChainHead>().ToListAsync(ct);
        if (heads.Count == 0)
        {
            return [];
        }

        var marks = (await session.LoadManyAsync<AuditSealMark>(ct, heads.Select(h => h.Id).ToArray())).ToDictionary(m => m.Id);
        var sealedAt = time.GetUtcNow();
        var seals = new List<AuditSeal>();
        foreach (var head in heads)
        {
            var last = marks.GetValueOrDefault(head.Id)?.ToIndex ?? 0;
            if (head.Index <= last)
            {
                continue;
            }

            var payload = AuditCanonical.SealPayload(head.Id, last + 1, head.Index, head.Hash, sealedAt, keys.CurrentKeyId);
            var (keyId, signature) = keys.Sign(payload);
            var seal = new AuditSeal
            {
                Id = AuditSeal.IdOf(head.Id, head.Index),
                OrgId = head.Id,
                FromIndex = last + 1,
                ToIndex = head.Index,
                ChainHash = head.Hash,
                SealedAt = sealedAt,
                KeyId = keyId,
                Signature = signature,
            };
            session.Insert(seal);
            session.Store(new AuditSealMark(head.Id, head.Index));
            seals.Add(seal);
        }

        if (seals.Count > 0)
        {
            await session.SaveChangesAsync(ct);
        }

        return seals;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sealing the audit chains failed; the next round tries again")]
    private static partial void LogSealFailed(ILogger logger, Exception ex);
}
