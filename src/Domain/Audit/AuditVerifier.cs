using System.Text;

namespace EnvForge.Domain.Audit;

/// <summary>What verifying an export found: all good, or the first record that does not match and why.</summary>
/// <param name="FailedIndex">The chain position of the first entry that does not match (or where one is missing).</param>
public sealed record AuditVerification(
    bool Valid, long Entries, long Seals, long FirstIndex, long LastIndex, long SealedThrough, string? Failure, long? FailedIndex, long? FailedLine,
    IReadOnlyList<string> Notes)
{
    public string Describe() => Valid
        ? $"OK: {Entries} entries (chain positions {FirstIndex}..{LastIndex}), {Seals} seal(s), sealed through {SealedThrough}; the rest vouched for by the export's signature"
            + string.Concat(Notes.Select(n => $"\nnote: {n}"))
        : $"FAILED at {(FailedIndex is { } i ? $"entry {i}" : "the file")}{(FailedLine is { } l ? $" (line {l})" : "")}: {Failure}"
            + string.Concat(Notes.Select(n => $"\nnote: {n}"));
}

/// <summary>
/// Verifies an exported audit file offline (BCL only: the API's <c>audit verify</c> command and the CLI can both use it).
/// It streams the file once in constant memory and checks, in order: the header; every entry's chain position (no gap,
/// no reorder), its link to the entry before, its hash over its canonical form, and its personal fields against their
/// commitment; every seal's signature and that the chain, as recomputed, has the sealed hash at the sealed position; and
/// the closing line's signature over the run of the chain the file holds (which also catches a cut-off file). Keys: the
/// ones given (trusted), else those the file carries (which proves only that the file is self-consistent; say so).
/// </summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(TextReader reader, IReadOnlyList<AuditPublicKey>? trustedKeys = null)
    {
        var state = new State(trustedKeys);
        var csv = reader.Peek() is not '{' and not -1;
        long line = 0;
        if (csv)
        {
            line++;
            var header = CsvReader.ReadRecord(reader);
            if (header is null || !header.SequenceEqual(AuditExportFormat.CsvColumns))
            {
                return state.Fail("the first row is not the export's CSV header", line);
            }
        }

        while (true)
        {
            ExportRecord record;
            try
            {
                line++;
                if (csv)
                {
                    var fields = CsvReader.ReadRecord(reader);
                    if (fields is null)
                    {
                        break;
                    }

                    record = AuditExportFormat.ParseCsv(fields);
                }
                else
                {
                    var text = reader.ReadLine();
                    if (text is null)
                    {
                        break;
                    }

                    record = AuditExportFormat.ParseJson(text);
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or OverflowException
                or System.Text.Json.JsonException)
            {
                return state.Fail($"the record is malformed ({ex.Message})", line, state.NextIndex);
            }

            if (state.Accept(record, line) is { } failure)
            {
                return failure;
            }
        }

        return state.Finish(line);
    }

    public static AuditVerification VerifyFile(string path, IReadOnlyList<AuditPublicKey>? trustedKeys = null)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        return Verify(reader, trustedKeys);
    }

    private sealed class State(IReadOnlyList<AuditPublicKey>? trusted)
    {
        private readonly List<string> _notes = [];
        private ExportRecord.Header? _header;
        private ExportRecord.Closing? _end;
        private Dictionary<string, AuditPublicKey> _keys = [];
        private long _entries;
        private long _seals;
        private long _firstIndex;
        private long _lastIndex;
        private long _sealedThrough;
        private string? _firstPrevious;
        private string? _lastHash;

        public long? NextIndex => _header is null ? null : _entries == 0 ? _header.FirstIndex : _lastIndex + 1;

        public AuditVerification? Accept(ExportRecord record, long line)
        {
            if (_end is not null)
            {
                return Fail("a record follows the closing line (appended after signing)", line);
            }

            switch (record)
            {
                case ExportRecord.Header h when _header is null:
                    _header = h;
                    _keys = (trusted ?? h.PublicKeys).ToDictionary(k => k.KeyId, StringComparer.Ordinal);
                    if (trusted is null)
                    {
                        _notes.Add("checked with the public keys the file carries; pass --public-key to check against keys you trust");
                    }

                    return null;
                case ExportRecord.Header:
                    return Fail("a second header", line);
                case var _ when _header is null:
                    return Fail("the file does not start with its header", line);
                case ExportRecord.Entry { Value: var e }:
                    return Entry(e, line);
                case ExportRecord.Seal { Value: var s }:
                    return Seal(s, line);
                case ExportRecord.Closing end:
                    _end = end;
                    return null;
                default:
                    return Fail("an unknown record", line);
            }
        }

        private AuditVerification? Entry(AuditEntry e, long line)
        {
            var header = _header!;
            var expected = _entries == 0 ? header.FirstIndex : _lastIndex + 1;
            if (e.OrgId != header.OrgId)
            {
                return Fail($"the entry belongs to another org ({e.OrgId})", line, expected);
            }

            if (e.ChainIndex != expected)
            {
                return Fail(e.ChainIndex > expected
                    ? $"expected chain position {expected}, found {e.ChainIndex}: an entry is missing or out of order"
                    : $"expected chain position {expected}, found {e.ChainIndex}: an entry is repeated or out of order", line, expected);
            }

            if (_entries > 0 && e.PreviousHash != _lastHash)
            {
                return Fail($"its previous hash does not link to entry {_lastIndex} (an entry was removed, replaced or reordered)", line, expected);
            }

            var hash = AuditCanonical.HashOf(e);
            if (hash != e.Hash)
            {
                return Fail("its content does not match its hash (edited)", line, expected);
            }

            if (e.Personal is { } personal)
            {
                if (e.PersonalSalt is not { } salt || e.PersonalCommitment is not { } commitment || !IsHex(salt)
                    || AuditCanonical.Commitment(salt, personal) != commitment)
                {
                    return Fail("its personal fields do not match their commitment (edited)", line, expected);
                }
            }

            if (_entries == 0)
            {
                (_firstIndex, _firstPrevious) = (e.ChainIndex, e.PreviousHash);
            }

            _entries++;
            (_lastIndex, _lastHash) = (e.ChainIndex, hash);
            return null;
        }

        private AuditVerification? Seal(AuditSeal s, long line)
        {
            if (_entries == 0 || s.ToIndex != _lastIndex || s.OrgId != _header!.OrgId)
            {
                return Fail($"a seal for chain position {s.ToIndex} is not right after that entry", line, s.ToIndex);
            }

            if (!_keys.TryGetValue(s.KeyId, out var key))
            {
                return Fail($"the seal over entries {s.FromIndex}..{s.ToIndex} is signed with an unknown key '{s.KeyId}'", line, s.ToIndex);
            }

            if (!AuditSigningKeys.Verify(key, AuditCanonical.SealPayload(s), s.Signature))
            {
                return Fail($"the seal over entries {s.FromIndex}..{s.ToIndex} has a bad signature (edited or forged)", line, s.ToIndex);
            }

            if (s.ChainHash != _lastHash)
            {
                return Fail($"the chain does not have the sealed hash at entry {s.ToIndex}: entries up to it were changed (even if rehashed)", line, s.ToIndex);
            }

            _seals++;
            _sealedThrough = s.ToIndex;
            return null;
        }

        public AuditVerification Finish(long line)
        {
            if (_header is null)
            {
                return Fail("the file is empty", line);
            }

            if (_end is not { } end)
            {
                return Fail("the file ends without its signed closing line (cut off?)", line, NextIndex);
            }

            var x = end.Summary;
            if (!_keys.TryGetValue(x.KeyId, out var key) || !AuditSigningKeys.Verify(key, AuditCanonical.ExportPayload(x), end.Signature))
            {
                return Fail("the closing line's signature does not verify (edited, forged, or signed with an unknown key)", line);
            }

            if (x.OrgId != _header.OrgId || x.From != _header.From || x.To != _header.To || (x.Count > 0 && x.FirstIndex != _header.FirstIndex))
            {
                return Fail("the closing line is for another org or range than the header", line);
            }

            if (x.Count != _entries || (_entries > 0 && (x.FirstIndex != _firstIndex || x.LastIndex != _lastIndex || x.LastHash != _lastHash
                || x.FirstPrevious != _firstPrevious)))
            {
                return Fail(
                    $"the file holds {_entries} entries ({_firstIndex}..{_lastIndex}) but was signed for {x.Count} ({x.FirstIndex}..{x.LastIndex}) ending in another hash",
                    line, _entries < x.Count ? _lastIndex + 1 : null);
            }

            return new(true, _entries, _seals, _firstIndex, _lastIndex, _sealedThrough, null, null, null, _notes);
        }

        public AuditVerification Fail(string why, long line, long? index = null) =>
            new(false, _entries, _seals, _firstIndex, _lastIndex, _sealedThrough, why, index, line, _notes);

        private static bool IsHex(string value) => value.Length % 2 == 0 && value.All(char.IsAsciiHexDigit);
    }
}

/// <summary>A small RFC 4180 reader that keeps "unquoted empty" (null) apart from "quoted empty" ("").</summary>
internal static class CsvReader
{
    public static List<string?>? ReadRecord(TextReader reader)
    {
        if (reader.Peek() == -1)
        {
            return null;
        }

        var fields = new List<string?>();
        var field = new StringBuilder();
        var quoted = false;
        while (true)
        {
            var c = reader.Read();
            if (c == '"' && field.Length == 0 && !quoted)
            {
                quoted = true;
                while (true)
                {
                    var q = reader.Read();
                    if (q == -1)
                    {
                        throw new FormatException("an unterminated quoted field");
                    }

                    if (q == '"')
                    {
                        if (reader.Peek() != '"')
                        {
                            break;
                        }

                        reader.Read();
                    }

                    field.Append((char)q);
                }

                continue;
            }

            if (c is ',' or '\n' or -1)
            {
                fields.Add(quoted || field.Length > 0 ? field.ToString() : null);
                field.Clear();
                quoted = false;
                if (c != ',')
                {
                    return fields;
                }

                continue;
            }

            if (quoted)
            {
                throw new FormatException("text after a quoted field");
            }

            field.Append((char)c);
        }
    }
}
