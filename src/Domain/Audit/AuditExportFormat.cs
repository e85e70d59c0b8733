using System.Buffers;
using System.Text;
using System.Text.Json;

namespace EnvForge.Domain.Audit;

/// <summary>One record of an export file: its header, an entry, a seal, or the signed closing line.</summary>
public abstract record ExportRecord
{
    /// <param name="FirstIndex">The chain position the file starts at (0 for an empty range); the closing line signs it.</param>
    public sealed record Header(
        Guid OrgId, DateTimeOffset From, DateTimeOffset To, long FirstIndex, DateTimeOffset ExportedAt, IReadOnlyList<AuditPublicKey> PublicKeys) : ExportRecord;

    /// <summary>An entry as the file states it: <see cref="AuditEntry.Hash"/> is the claimed hash, to be recomputed.</summary>
    public sealed record Entry(AuditEntry Value) : ExportRecord;

    public sealed record Seal(AuditSeal Value) : ExportRecord;

    public sealed record Closing(ExportSummary Summary, string Signature) : ExportRecord;
}

/// <summary>
/// The export file formats, written and read by the same code. JSON Lines: one object per line, <c>type</c> first
/// (<c>header</c>, <c>entry</c>, <c>seal</c>, <c>end</c>); an entry line holds exactly the hashed fields of
/// <see cref="AuditCanonical.EntryFields"/> plus <c>hash</c>, <c>personalValues</c> and <c>salt</c>. CSV: one row per
/// record, the first column the record type; entry rows in the columns of <see cref="CsvColumns"/> (JSON for the detail
/// and personal values, an unquoted empty field for null); the other records as one JSON object in the last column.
/// </summary>
public static class AuditExportFormat
{
    public const string FormatName = "envforge.audit.export.v1";

    public static readonly IReadOnlyList<string> CsvColumns =
        ["record", .. AuditCanonical.EntryFields.Except(["v"]), "hash", "personalValues", "salt", "json"];

    private static readonly HashSet<string> EntryKeys =
        new(["type", .. AuditCanonical.EntryFields, "hash", "personalValues", "salt"], StringComparer.Ordinal);

    public static byte[] Json(ExportRecord record) => Write(w =>
    {
        switch (record)
        {
            case ExportRecord.Header h:
                w.WriteString("type", "header");
                w.WriteString("format", FormatName);
                w.WriteString("org", h.OrgId.ToString("D"));
                w.WriteString("from", AuditCanonical.Time(h.From));
                w.WriteString("to", AuditCanonical.Time(h.To));
                w.WriteNumber("firstIndex", h.FirstIndex);
                w.WriteString("exportedAt", AuditCanonical.Time(h.ExportedAt));
                w.WriteStartArray("publicKeys");
                foreach (var key in h.PublicKeys)
                {
                    w.WriteStartObject();
                    w.WriteString("keyId", key.KeyId);
                    w.WriteString("algorithm", key.Algorithm);
                    w.WriteString("publicKey", key.PublicKey);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case ExportRecord.Entry { Value: var e }:
                w.WriteString("type", "entry");
                AuditCanonical.WriteEntryFields(w, e);
                w.WriteString("hash", e.Hash);
                WritePersonal(w, e);
                break;
            case ExportRecord.Seal { Value: var s }:
                w.WriteString("type", "seal");
                w.WriteString("org", s.OrgId.ToString("D"));
                w.WriteNumber("from", s.FromIndex);
                w.WriteNumber("to", s.ToIndex);
                w.WriteString("hash", s.ChainHash);
                w.WriteString("sealedAt", AuditCanonical.Time(s.SealedAt));
                w.WriteString("keyId", s.KeyId);
                w.WriteString("algorithm", s.Algorithm);
                w.WriteString("signature", s.Signature);
                break;
            case ExportRecord.Closing end:
                var x = end.Summary;
                w.WriteString("type", "end");
                w.WriteString("org", x.OrgId.ToString("D"));
                w.WriteString("from", AuditCanonical.Time(x.From));
                w.WriteString("to", AuditCanonical.Time(x.To));
                w.WriteNumber("count", x.Count);
                w.WriteNumber("firstIndex", x.FirstIndex);
                w.WriteNumber("lastIndex", x.LastIndex);
                w.WriteString("firstPrev", x.FirstPrevious);
                w.WriteString("lastHash", x.LastHash);
                w.WriteString("exportedAt", AuditCanonical.Time(x.ExportedAt));
                w.WriteString("keyId", x.KeyId);
                w.WriteString("signature", end.Signature);
                break;
        }
    });

    /// <summary>The CSV header row.</summary>
    public static string CsvHeader() => string.Join(",", CsvColumns) + "\n";

    public static string Csv(ExportRecord record)
    {
        var row = new StringBuilder(512);
        if (record is ExportRecord.Entry)
        {
            row.Append("entry");
            using var doc = JsonDocument.Parse(Json(record));
            foreach (var column in CsvColumns.Skip(1).SkipLast(1))
            {
                row.Append(',');
                var value = doc.RootElement.GetProperty(column);
                Field(row, value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => value.GetString(),
                    _ => value.GetRawText(),
                });
            }

            row.Append(',');
        }
        else
        {
            row.Append(record switch { ExportRecord.Header => "header", ExportRecord.Seal => "seal", _ => "end" });
            row.Append(',', CsvColumns.Count - 1);
            Field(row, Encoding.UTF8.GetString(Json(record)));
        }

        return row.Append('\n').ToString();
    }

    /// <summary>Reads one JSON line. Throws <see cref="FormatException"/> saying what is wrong with it.</summary>
    public static ExportRecord ParseJson(string line)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            throw new FormatException("not valid JSON");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("not an export record (no type)");
            }

            return type.GetString() switch
            {
                "header" => new ExportRecord.Header(
                    Guid.Parse(Str(root, "org")), Time(root, "from"), Time(root, "to"), root.GetProperty("firstIndex").GetInt64(), Time(root, "exportedAt"),
                    [.. root.GetProperty("publicKeys").EnumerateArray().Select(k => new AuditPublicKey(Str(k, "keyId"), Str(k, "algorithm"), Str(k, "publicKey"), false))]),
                "entry" => new ExportRecord.Entry(ParseEntry(root)),
                "seal" => new ExportRecord.Seal(new AuditSeal
                {
                    OrgId = Guid.Parse(Str(root, "org")),
                    FromIndex = root.GetProperty("from").GetInt64(),
                    ToIndex = root.GetProperty("to").GetInt64(),
                    ChainHash = Str(root, "hash"),
                    SealedAt = Time(root, "sealedAt"),
                    KeyId = Str(root, "keyId"),
                    Algorithm = Str(root, "algorithm"),
                    Signature = Str(root, "signature"),
                }),
                "end" => new ExportRecord.Closing(
                    new ExportSummary(
                        Guid.Parse(Str(root, "org")), Time(root, "from"), Time(root, "to"), root.GetProperty("count").GetInt64(),
                        root.GetProperty("firstIndex").GetInt64(), root.GetProperty("lastIndex").GetInt64(), Str(root, "firstPrev"),
                        Str(root, "lastHash"), Time(root, "exportedAt"), Str(root, "keyId")),
                    Str(root, "signature")),
                var other => throw new FormatException($"unknown record type '{other}'"),
            };
        }
    }

    /// <summary>Reads one CSV record (already split into fields; null for an unquoted empty field).</summary>
    public static ExportRecord ParseCsv(IReadOnlyList<string?> fields)
    {
        if (fields.Count != CsvColumns.Count)
        {
            throw new FormatException($"expected {CsvColumns.Count} fields, found {fields.Count}");
        }

        if (fields[0] != "entry")
        {
            return ParseJson(fields[^1] ?? throw new FormatException("a non-entry row without its JSON"));
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "entry");
            w.WriteNumber("v", AuditCanonical.Version);
            for (var i = 1; i < CsvColumns.Count - 1; i++)
            {
                var column = CsvColumns[i];
                var value = fields[i];
                if (value is null)
                {
                    w.WriteNull(column);
                }
                else if (column is "index" or "seq" or "version" or "detail" or "personalValues")
                {
                    w.WritePropertyName(column);
                    w.WriteRawValue(value);
                }
                else
                {
                    w.WriteString(column, value);
                }
            }

            w.WriteEndObject();
        }

        return ParseJson(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static AuditEntry ParseEntry(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!EntryKeys.Contains(property.Name))
            {
                throw new FormatException($"unexpected field '{property.Name}'");
            }
        }

        if (root.GetProperty("v").GetInt32() != AuditCanonical.Version)
        {
            throw new FormatException("unknown canonical version");
        }

        var workspace = NullableStr(root, "workspace");
        var personalValues = root.GetProperty("personalValues");
        return new AuditEntry
        {
            OrgId = Guid.Parse(Str(root, "org")),
            ChainIndex = root.GetProperty("index").GetInt64(),
            Id = root.GetProperty("seq").GetInt64(),
            EventId = Guid.Parse(Str(root, "event")),
            StreamId = Guid.Parse(Str(root, "stream")),
            StreamVersion = root.GetProperty("version").GetInt64(),
            EventType = Str(root, "eventType"),
            Action = Str(root, "action"),
            Outcome = Str(root, "outcome"),
            RecordedAt = Time(root, "recordedAt"),
            OccurredAt = Time(root, "occurredAt"),
            Actor = Str(root, "actor"),
            ActorRole = NullableStr(root, "role"),
            ActorKind = Str(root, "kind"),
            CorrelationId = NullableStr(root, "correlation"),
            CausationId = NullableStr(root, "causation"),
            WorkspaceId = workspace is null ? null : Guid.Parse(workspace),
            TargetType = Str(root, "targetType"),
            TargetId = Str(root, "targetId"),
            Detail = Strings(root.GetProperty("detail")),
            PersonalCommitment = NullableStr(root, "personal"),
            PreviousHash = Str(root, "prev"),
            Hash = Str(root, "hash"),
            Personal = personalValues.ValueKind == JsonValueKind.Null ? null : Strings(personalValues),
            PersonalSalt = NullableStr(root, "salt"),
        };
    }

    private static void WritePersonal(Utf8JsonWriter w, AuditEntry e)
    {
        if (e.Personal is { } values)
        {
            w.WritePropertyName("personalValues");
            AuditCanonical.SortedObject(w, values);
        }
        else
        {
            w.WriteNull("personalValues");
        }

        AuditCanonical.NullableString(w, "salt", e.PersonalSalt);
    }

    private static Dictionary<string, string> Strings(JsonElement element)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in element.EnumerateObject())
        {
            values[p.Name] = p.Value.GetString() ?? throw new FormatException($"'{p.Name}' is not a string");
        }

        return values;
    }

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    private static string? NullableStr(JsonElement e, string name) => e.GetProperty(name).GetString();

    private static DateTimeOffset Time(JsonElement e, string name) => AuditCanonical.ParseTime(Str(e, name));

    private static void Field(StringBuilder row, string? value)
    {
        if (value is null)
        {
            return; // an unquoted empty field is null; every string is quoted, so "" stays ""
        }

        row.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
