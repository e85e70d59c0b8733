using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EnvForge.Domain.Audit;

/// <summary>
/// The one canonical byte form of everything the audit trail hashes and signs (BCL only, so an offline verifier or the
/// CLI can use it without a database). An entry's hash is hex SHA-256 over its canonical JSON: a fixed field order, no
/// whitespace, times as UTC with seven fractional digits, detail keys in ordinal order, and the previous entry's hash
/// inside, which makes the entries of an org one chain. Personal fields never enter it directly: only their salted
/// commitment does, so masking them later changes no hash. Changing this form for existing entries is a breaking change:
/// add a new <see cref="Version"/> instead.
/// </summary>
public static class AuditCanonical
{
    public const int Version = 1;

    /// <summary>The "previous hash" of an org's first entry.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string value) =>
        DateTimeOffset.ParseExact(value, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>The bytes an entry's hash is computed over (everything but the hash itself, the summary and the personal values).</summary>
    public static byte[] Entry(AuditEntry e)
    {
        using var buffer = new MemoryStream(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteEntryFields(w, e);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The hashed fields of an entry, in their fixed order (an export's entry line holds exactly these, and more).</summary>
    public static void WriteEntryFields(Utf8JsonWriter w, AuditEntry e)
    {
        w.WriteNumber("v", Version);
        w.WriteString("org", e.OrgId.ToString("D"));
        w.WriteNumber("index", e.ChainIndex);
        w.WriteNumber("seq", e.Id);
        w.WriteString("event", e.EventId.ToString("D"));
        w.WriteString("stream", e.StreamId.ToString("D"));
        w.WriteNumber("version", e.StreamVersion);
        w.WriteString("eventType", e.EventType);
        w.WriteString("action", e.Action);
        w.WriteString("outcome", e.Outcome);
        w.WriteString("recordedAt", Time(e.RecordedAt));
        w.WriteString("occurredAt", Time(e.OccurredAt));
        w.WriteString("actor", e.Actor);
        NullableString(w, "role", e.ActorRole);
        w.WriteString("kind", e.ActorKind);
        NullableString(w, "correlation", e.CorrelationId);
        NullableString(w, "causation", e.CausationId);
        NullableString(w, "workspace", e.WorkspaceId?.ToString("D"));
        w.WriteString("targetType", e.TargetType);
        w.WriteString("targetId", e.TargetId);
        w.WritePropertyName("detail");
        SortedObject(w, e.Detail);
        NullableString(w, "personal", e.PersonalCommitment);
        w.WriteString("prev", e.PreviousHash);
    }

    /// <summary>The names of <see cref="WriteEntryFields"/>, in order.</summary>
    public static readonly IReadOnlyList<string> EntryFields =
    [
        "v", "org", "index", "seq", "event", "stream", "version", "eventType", "action", "outcome", "recordedAt", "occurredAt", "actor", "role",
        "kind", "correlation", "causation", "workspace", "targetType", "targetId", "detail", "personal", "prev",
    ];

    public static string HashOf(AuditEntry e) => Hex(SHA256.HashData(Entry(e)));

    /// <summary>A fresh random salt for a personal commitment.</summary>
    public static string NewSalt() => Hex(RandomNumberGenerator.GetBytes(16));

    /// <summary>Hex SHA-256 over the salt and the personal fields in canonical form.</summary>
    public static string Commitment(string saltHex, IReadOnlyDictionary<string, string> personal)
    {
        using var buffer = new MemoryStream(128);
        buffer.Write(Convert.FromHexString(saltHex));
        using (var w = new Utf8JsonWriter(buffer))
        {
            SortedObject(w, personal);
        }

        return Hex(SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>What a seal's signature covers: "in this org, the entry at <paramref name="toIndex"/> has this hash".</summary>
    public static byte[] SealPayload(Guid orgId, long fromIndex, long toIndex, string chainHash, DateTimeOffset sealedAt, string keyId) =>
        Object(w =>
        {
            w.WriteString("kind", "envforge.audit.seal");
            w.WriteNumber("v", Version);
            w.WriteString("org", orgId.ToString("D"));
            w.WriteNumber("from", fromIndex);
            w.WriteNumber("to", toIndex);
            w.WriteString("hash", chainHash);
            w.WriteString("sealedAt", Time(sealedAt));
            w.WriteString("keyId", keyId);
        });

    public static byte[] SealPayload(AuditSeal seal) =>
        SealPayload(seal.OrgId, seal.FromIndex, seal.ToIndex, seal.ChainHash, seal.SealedAt, seal.KeyId);

    /// <summary>What an export's closing signature covers: which run of the chain the file holds, and where it ends.</summary>
    public static byte[] ExportPayload(ExportSummary s) =>
        Object(w =>
        {
            w.WriteString("kind", "envforge.audit.export");
            w.WriteNumber("v", Version);
            w.WriteString("org", s.OrgId.ToString("D"));
            w.WriteString("from", Time(s.From));
            w.WriteString("to", Time(s.To));
            w.WriteNumber("count", s.Count);
            w.WriteNumber("firstIndex", s.FirstIndex);
            w.WriteNumber("lastIndex", s.LastIndex);
            w.WriteString("firstPrev", s.FirstPrevious);
            w.WriteString("lastHash", s.LastHash);
            w.WriteString("exportedAt", Time(s.ExportedAt));
            w.WriteString("keyId", s.KeyId);
        });

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static byte[] Object(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static void SortedObject(Utf8JsonWriter w, IReadOnlyDictionary<string, string> values)
    {
        w.WriteStartObject();
        foreach (var key in values.Keys.Order(StringComparer.Ordinal))
        {
            w.WriteString(key, values[key]);
        }

        w.WriteEndObject();
    }

    public static void NullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}

/// <summary>What an export holds, as its closing line states and signs it.</summary>
public sealed record ExportSummary(
    Guid OrgId, DateTimeOffset From, DateTimeOffset To, long Count, long FirstIndex, long LastIndex, string FirstPrevious, string LastHash,
    DateTimeOffset ExportedAt, string KeyId);
