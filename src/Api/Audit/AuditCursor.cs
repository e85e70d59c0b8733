using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using EnvForge.Projections.Audit;
using EnvForge.Workflows.Security;

namespace EnvForge.Api.Audit;

/// <summary>
/// Audit trail cursors: the org, the direction and the position (time, then sequence) of the last entry returned, with an HMAC (key ring <c>Audit:CursorKeys</c>
/// or the data directory's <c>audit-cursor.keys</c>), so a cursor cannot be forged, edited, or used with another org.
/// </summary>
public sealed class AuditCursor(IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
{
    private const byte Format = 2; // 1 held a sequence only (pages were in sequence order); such cursors are refused
    private const int BodySize = 34;
    private const int MacSize = 16;

    public static AuditCursor Load(IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory)
    {
        var (keys, current) = KeyRing.Load(configuredKeys, currentKeyId, dataDirectory, "audit-cursor.keys", "c1");
        return new AuditCursor(keys, current);
    }

    public string Encode(Guid orgId, bool newest, AuditPosition after)
    {
        var body = Body(orgId, newest, after);
        return Base64Url.EncodeToString([.. body, .. Mac(keys[currentKeyId], body)]);
    }

    /// <summary>The position to continue after, or false for a cursor this API did not make for this org and order.</summary>
    public bool TryDecode(string cursor, Guid orgId, bool newest, out AuditPosition after)
    {
        after = default;
        byte[] raw;
        try
        {
            raw = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        if (raw.Length != BodySize + MacSize)
        {
            return false;
        }

        var body = raw.AsSpan(0, BodySize);
        var mac = raw.AsSpan(BodySize);
        var authentic = false;
        foreach (var key in keys.Values)
        {
            authentic |= CryptographicOperations.FixedTimeEquals(Mac(key, body), mac);
        }

        if (!authentic)
        {
            return false;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(body[18..]);
        var sequence = BinaryPrimitives.ReadInt64BigEndian(body[26..]);
        if (ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks || sequence <= 0)
        {
            return false;
        }

        var position = new AuditPosition(new DateTimeOffset(ticks, TimeSpan.Zero), sequence);
        if (!body.SequenceEqual(Body(orgId, newest, position)))
        {
            return false; // made for another org or the other order
        }

        after = position;
        return true;
    }

    private static byte[] Body(Guid orgId, bool newest, AuditPosition after)
    {
        var body = new byte[BodySize];
        body[0] = Format;
        orgId.TryWriteBytes(body.AsSpan(1, 16));
        body[17] = newest ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(18), after.RecordedAt.UtcTicks);
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(26), after.Sequence);
        return body;
    }

    private static byte[] Mac(byte[] key, ReadOnlySpan<byte> body) => HMACSHA256.HashData(key, body)[..MacSize];
}
