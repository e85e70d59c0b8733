using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using EnvForge.Workflows.Security;

namespace EnvForge.Api.Audit;

/// <summary>
/// Audit trail cursors: the org, the direction and the last sequence returned, with an HMAC (key ring <c>Audit:CursorKeys</c>
/// or the data directory's <c>audit-cursor.keys</c>), so a cursor cannot be forged, edited, or used with another org.
/// </summary>
public sealed class AuditCursor(IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
{
    private const byte Format = 1;
    private const int MacSize = 16;

    public static AuditCursor Load(IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory)
    {
        var (keys, current) = KeyRing.Load(configuredKeys, currentKeyId, dataDirectory, "audit-cursor.keys", "c1");
        return new AuditCursor(keys, current);
    }

    public string Encode(Guid orgId, bool newest, long afterSequence)
    {
        var body = Body(orgId, newest, afterSequence);
        return Base64Url.EncodeToString([.. body, .. Mac(keys[currentKeyId], body)]);
    }

    /// <summary>The sequence to continue after, or false for a cursor this API did not make for this org and order.</summary>
    public bool TryDecode(string cursor, Guid orgId, bool newest, out long afterSequence)
    {
        afterSequence = 0;
        byte[] raw;
        try
        {
            raw = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        if (raw.Length != 26 + MacSize)
        {
            return false;
        }

        var body = raw.AsSpan(0, 26);
        var mac = raw.AsSpan(26);
        var authentic = false;
        foreach (var key in keys.Values)
        {
            authentic |= CryptographicOperations.FixedTimeEquals(Mac(key, body), mac);
        }

        if (!authentic)
        {
            return false;
        }

        if (!body.SequenceEqual(Body(orgId, newest, BinaryPrimitives.ReadInt64BigEndian(body[18..]))))
        {
            return false; // made for another org or the other order
        }

        afterSequence = BinaryPrimitives.ReadInt64BigEndian(body[18..]);
        return afterSequence > 0;
    }

    private static byte[] Body(Guid orgId, bool newest, long afterSequence)
    {
        var body = new byte[26];
        body[0] = Format;
        orgId.TryWriteBytes(body.AsSpan(1, 16));
        body[17] = newest ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(body.AsSpan(18), afterSequence);
        return body;
    }

    private static byte[] Mac(byte[] key, ReadOnlySpan<byte> body) => HMACSHA256.HashData(key, body)[..MacSize];
}
