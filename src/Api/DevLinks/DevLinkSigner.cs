using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EnvForge.Workflows.Security;

namespace EnvForge.Api.DevLinks;

/// <summary>
/// A parsed, signature-checked link token, open ticket or session cookie: which link, which token generation, and for
/// tickets and signed-in sessions who (<see cref="Subject"/>) and until when.
/// </summary>
public readonly record struct SignedLink(Guid LinkId, int Generation, string KeyId, DateTimeOffset? SessionExpiresAt, string? Subject = null, string? Nonce = null);

/// <summary>
/// Signs and checks dev-link tokens and gateway session cookies with HMAC-SHA256 under a key ring with ids: new
/// values are signed with the current key and name it, older keys keep verifying, so keys rotate without
/// invalidating every link at once (remove a key to invalidate what it signed).
/// <para>Token: <c>efl1.{linkId:N}.{generation}.{keyId}.{nonce}.{mac}</c>: 128 random bits, so it cannot be guessed
/// from the link id; only its SHA-256 is stored. Session: <c>efs1.{linkId:N}.{generation}.{expiresUnix}.{keyId}.{mac}</c>,
/// set by the gateway on first use. All are bound to a token generation: rotating the link voids them.</para>
/// <para>For a link with an audience, the API (which knows who is signed in) hands out an open ticket,
/// <c>eft1.{linkId:N}.{generation}.{expiresUnix}.{subject}.{nonce}.{keyId}.{mac}</c>, good for one use within a minute, and the
/// gateway turns it into a signed-in session, <c>efu1.{linkId:N}.{generation}.{expiresUnix}.{subject}.{keyId}.{mac}</c>
/// (the subject base64url-encoded). Each kind has its own prefix inside what is signed, so none passes for another.</para>
/// </summary>
public sealed class DevLinkSigner
{
    private const string TokenPrefix = "efl1";
    private const string SessionPrefix = "efs1";
    private const string UserSessionPrefix = "efu1";
    private const string TicketPrefix = "eft1";

    /// <summary>Longest value read: a ticket for the longest subject (200 characters of up to 4 UTF-8 bytes each).</summary>
    private const int MaxLength = 1400;
    private readonly IReadOnlyDictionary<string, byte[]> _keys;

    public DevLinkSigner(IReadOnlyDictionary<string, byte[]> keys, string currentKeyId)
    {
        if (!keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"The current dev-link key '{currentKeyId}' is not in the key ring.", nameof(currentKeyId));
        }

        if (keys.Values.Any(k => k.Length < 32))
        {
            throw new ArgumentException("Every dev-link signing key must be at least 256 bits.", nameof(keys));
        }

        if (keys.Keys.Any(id => id.Length is 0 or > 32 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw new ArgumentException("Dev-link key ids are 1-32 letters, digits or dashes.", nameof(keys));
        }

        _keys = keys;
        CurrentKeyId = currentKeyId;
    }

    public string CurrentKeyId { get; }

    /// <summary>A fresh token for the link's generation, and the hash to store. The token is shown to the issuer once.</summary>
    public (string Token, string TokenHash) IssueToken(Guid linkId, int generation)
    {
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var body = $"{TokenPrefix}.{linkId:N}.{generation.ToString(CultureInfo.InvariantCulture)}.{CurrentKeyId}.{nonce}";
        var token = $"{body}.{Mac(CurrentKeyId, body)}";
        return (token, Hash(token));
    }

    /// <summary>A session cookie; with <paramref name="subject"/>, a signed-in one (for a link with an audience).</summary>
    public string IssueSession(Guid linkId, int generation, DateTimeOffset expiresAt, string? subject = null)
    {
        var body = subject is null
            ? $"{SessionPrefix}.{Head(linkId, generation, expiresAt)}.{CurrentKeyId}"
            : $"{UserSessionPrefix}.{Head(linkId, generation, expiresAt)}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(subject))}.{CurrentKeyId}";
        return $"{body}.{Mac(CurrentKeyId, body)}";
    }

    /// <summary>A one-use ticket that opens the link for <paramref name="subject"/> until <paramref name="expiresAt"/>.</summary>
    public string IssueTicket(Guid linkId, int generation, string subject, DateTimeOffset expiresAt)
    {
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var body = $"{TicketPrefix}.{Head(linkId, generation, expiresAt)}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(subject))}.{nonce}.{CurrentKeyId}";
        return $"{body}.{Mac(CurrentKeyId, body)}";
    }

    private static string Head(Guid linkId, int generation, DateTimeOffset expiresAt) =>
        $"{linkId:N}.{generation.ToString(CultureInfo.InvariantCulture)}.{expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Hex SHA-256 of a token: what the stream and the gateway's directory hold.</summary>
    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether <paramref name="token"/> hashes to <paramref name="storedHash"/> (the raw SHA-256), in constant time.</summary>
    public static bool HashMatches(string token, ReadOnlySpan<byte> storedHash) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), storedHash);

    /// <summary>False for anything malformed, signed by an unknown key, or tampered with.</summary>
    public bool TryReadToken(string? token, out SignedLink link)
    {
        link = default;
        if (token is null || token.Length > 256 || !token.StartsWith(TokenPrefix + ".", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 6 || !TryParseLink(parts[1], parts[2], out var linkId, out var generation) || !Verify(parts[3], token[..token.LastIndexOf('.')], parts[5]))
        {
            return false;
        }

        link = new SignedLink(linkId, generation, parts[3], null);
        return true;
    }

    /// <summary>An anonymous (<c>efs1</c>) or signed-in (<c>efu1</c>) session cookie; false for anything else.</summary>
    public bool TryReadSession(string? session, out SignedLink link) =>
        TryRead(session, SessionPrefix, 6, out link) || TryRead(session, UserSessionPrefix, 7, out link);

    public bool TryReadTicket(string? ticket, out SignedLink link) => TryRead(ticket, TicketPrefix, 8, out link);

    /// <summary>
    /// <c>{prefix}.{linkId}.{generation}.{expiresUnix}[.{subject}[.{nonce}]].{keyId}.{mac}</c>: the subject is there from 7
    /// parts on, the nonce at 8.
    /// </summary>
    private bool TryRead(string? value, string prefix, int partCount, out SignedLink link)
    {
        link = default;
        if (value is null || value.Length > MaxLength || !value.StartsWith(prefix + ".", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = value.Split('.');
        if (parts.Length != partCount || !TryParseLink(parts[1], parts[2], out var linkId, out var generation)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var unix) || unix > MaxUnixSeconds
            || !Verify(parts[^2], value[..value.LastIndexOf('.')], parts[^1]))
        {
            return false;
        }

        string? subject = null;
        if (partCount >= 7 && !TryDecodeSubject(parts[4], out subject))
        {
            return false;
        }

        link = new SignedLink(linkId, generation, parts[^2], DateTimeOffset.FromUnixTimeSeconds(unix), subject, partCount >= 8 ? parts[5] : null);
        return true;
    }

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31, the last second DateTimeOffset holds

    private static bool TryDecodeSubject(string encoded, out string? subject)
    {
        subject = null;
        if (encoded.Length == 0 || !Base64Url.IsValid(encoded))
        {
            return false;
        }

        try
        {
            subject = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(encoded));
            return subject.Length > 0;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool TryParseLink(string id, string generationText, out Guid linkId, out int generation)
    {
        generation = 0;
        return Guid.TryParseExact(id, "N", out linkId)
            && int.TryParse(generationText, NumberStyles.None, CultureInfo.InvariantCulture, out generation) && generation > 0;
    }

    private bool Verify(string keyId, string body, string mac)
    {
        if (!_keys.ContainsKey(keyId))
        {
            return false;
        }

        // Only the canonical encoding (43 characters, unpadded, re-encoding to itself): the decoder also takes a padded
        // form, which would let one MAC, so one session cookie, be written several ways.
        Span<byte> given = stackalloc byte[32];
        if (mac.Length != 43 || !Base64Url.IsValid(mac)
            || Base64Url.DecodeFromChars(mac, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32
            || !string.Equals(Base64Url.EncodeToString(given), mac, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(_keys[keyId], Encoding.UTF8.GetBytes(body), expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Mac(string keyId, string body) => Base64Url.EncodeToString(HMACSHA256.HashData(_keys[keyId], Encoding.UTF8.GetBytes(body)));

    /// <summary>Loads the key ring from configuration "DevLinks:Keys" or the data directory's <c>dev-link.keys</c> (see <see cref="KeyRing"/>).</summary>
    public static DevLinkSigner Load(IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory)
    {
        var (keys, current) = KeyRing.Load(configuredKeys, currentKeyId, dataDirectory, "dev-link.keys", "l1");
        return new DevLinkSigner(keys, current);
    }
}
