using System.Buffers;
using System.Text;
using EnvForge.Domain.Audit;
using Marten;

namespace EnvForge.Projections.Audit;

/// <summary>
/// Streams one org's trail for a time range as an export file (see <see cref="AuditExportFormat"/>): the header with the
/// public keys, the entries in chain order with each seal right after the entry it seals, and a closing line signed at
/// export time. The run is contiguous in the chain: from the position of the earliest entry recorded at or after
/// <c>from</c> to the position of the latest recorded before <c>to</c> (commits that land out of order by a few
/// milliseconds at the bounds fall on either side). Entries are read in batches of positions, streamed row by row and
/// written in 64 KiB pieces, so memory stays flat however long the range.
/// </summary>
public static class AuditExport
{
    public const int BatchSize = 2000;
    private const int FlushBytes = 64 * 1024;

    public static async Task<ExportSummary> WriteAsync(
        IQuerySession session, AuditSigningKeys keys, Guid orgId, DateTimeOffset from, DateTimeOffset to, bool csv, Stream output,
        DateTimeOffset now, CancellationToken ct, int batchSize = BatchSize)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes * 2);
        if (csv)
        {
            Append(buffer, AuditExportFormat.CsvHeader());
        }

        var inRange = session.Query<AuditEntry>().Where(a => a.OrgId == orgId && a.RecordedAt >= from && a.RecordedAt < to);
        var first = await inRange.OrderBy(a => a.RecordedAt).Select(a => a.ChainIndex).FirstOrDefaultAsync(ct);
        var last = await inRange.OrderByDescending(a => a.RecordedAt).Select(a => a.ChainIndex).FirstOrDefaultAsync(ct);
        (first, last) = (Math.Min(first, last), Math.Max(first, last));
        Write(buffer, new ExportRecord.Header(orgId, from, to, first, now, keys.PublicKeys), csv);

        async Task DrainAsync(bool flush)
        {
            await output.WriteAsync(buffer.WrittenMemory, ct);
            buffer.ResetWrittenCount();
            if (flush)
            {
                await output.FlushAsync(ct);
            }
        }

        long count = 0, firstIndex = 0, lastIndex = 0;
        string firstPrevious = "", lastHash = "";
        var next = first;
        while (first > 0 && next <= last)
        {
            // Positions are contiguous, so a batch's range is known before it is read: its seals first, then its entries
            // streamed row by row (each written and dropped, never a list of them held across the awaits).
            var (batchStart, batchEnd) = (next, Math.Min(last, next + batchSize - 1));
            var seals = (await session.Query<AuditSeal>()
                .Where(s => s.OrgId == orgId && s.ToIndex >= batchStart && s.ToIndex <= batchEnd)
                .ToListAsync(ct)).ToDictionary(s => s.ToIndex);
            var countBefore = count;
            var entries = session.Query<AuditEntry>()
                .Where(a => a.OrgId == orgId && a.ChainIndex >= batchStart && a.ChainIndex <= batchEnd)
                .OrderBy(a => a.ChainIndex).ToAsyncEnumerable(ct);
            await foreach (var entry in entries)
            {
                if (count == 0)
                {
                    (firstIndex, firstPrevious) = (entry.ChainIndex, entry.PreviousHash);
                }

                Write(buffer, new ExportRecord.Entry(entry), csv);
                if (seals.TryGetValue(entry.ChainIndex, out var seal))
                {
                    Write(buffer, new ExportRecord.Seal(seal), csv);
                }

                count++;
                (lastIndex, lastHash) = (entry.ChainIndex, entry.Hash);
                if (buffer.WrittenCount >= FlushBytes)
                {
                    await DrainAsync(flush: false);
                }
            }

            await DrainAsync(flush: true);
            if (count == countBefore)
            {
                break;
            }

            next = batchEnd + 1;
        }

        var summary = new ExportSummary(orgId, from, to, count, firstIndex, lastIndex, firstPrevious, lastHash, now, keys.CurrentKeyId);
        var (_, signature) = keys.Sign(AuditCanonical.ExportPayload(summary));
        Write(buffer, new ExportRecord.Closing(summary, signature), csv);
        await DrainAsync(flush: true);
        return summary;
    }

    private static void Write(ArrayBufferWriter<byte> buffer, ExportRecord record, bool csv)
    {
        if (csv)
        {
            Append(buffer, AuditExportFormat.Csv(record));
        }
        else
        {
            buffer.Write(AuditExportFormat.Json(record));
            buffer.Write("\n"u8);
        }
    }

    private static void Append(ArrayBufferWriter<byte> buffer, string text) => buffer.Write(Encoding.UTF8.GetBytes(text));
}
