using System.Security.Cryptography;
using System.Text.Json;

namespace EnvForge.Domain.Audit;

/// <summary>A public key of the audit signing key ring, as exports and <c>GET /audit/public-keys</c> publish it.</summary>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo (DER).</param>
public sealed record AuditPublicKey(string KeyId, string Algorithm, string PublicKey, bool Current)
{
    /// <summary>
    /// Keys an auditor trusts, given inline (<c>ID=BASE64-SPKI</c>) or as a file: the JSON of <c>GET /audit/public-keys</c>,
    /// or lines of <c>ID=BASE64-SPKI</c>.
    /// </summary>
    public static IReadOnlyList<AuditPublicKey> Read(string value)
    {
        if (!File.Exists(value))
        {
            var (id, key) = Split(value);
            return [new AuditPublicKey(id, AuditSigningKeys.Algorithm, key, false)];
        }

        var text = File.ReadAllText(value).Trim();
        if (text.StartsWith('{'))
        {
            using var doc = JsonDocument.Parse(text);
            return [.. doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => new AuditPublicKey(
                k.GetProperty("keyId").GetString()!, k.GetProperty("algorithm").GetString()!, k.GetProperty("publicKey").GetString()!, false))];
        }

        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Split)
            .Select(p => new AuditPublicKey(p.Id, AuditSigningKeys.Algorithm, p.Key, false))];
    }

    private static (string Id, string Key) Split(string value) =>
        value.Split('=', 2) is [var id, var key] && id.Length > 0 ? (id, key) : throw new FormatException($"not a key file or KEYID=BASE64: {value}");
}

/// <summary>
/// The asymmetric key ring that signs audit seals and exports: ECDSA P-256 with SHA-256 (BCL only, so a verifier needs no
/// package). Private keys live outside the database: configuration (<c>Audit:SigningKeys:{id}</c>, base64 PKCS#8, with
/// <c>Audit:CurrentSigningKeyId</c>) or the data directory's <c>audit-signing.keys</c> (lines <c>id=base64</c>, the last
/// line current; created mode 0600 with one fresh key on first use). Rotation: add a key (<c>EnvForge.Api audit keys
/// rotate</c>); new seals use it, old seals still verify. A retired key is kept as <c>id=pub:base64-spki</c>: it verifies
/// and never signs again.
/// </summary>
public sealed class AuditSigningKeys : IDisposable
{
    public const string Algorithm = "ECDSA-P256-SHA256";
    public const string FileName = "audit-signing.keys";
    private const string PublicOnly = "pub:";

    private readonly Dictionary<string, ECDsa> _keys;
    private readonly Dictionary<string, bool> _private;
    private readonly Lock _signing = new();

    private AuditSigningKeys(Dictionary<string, ECDsa> keys, Dictionary<string, bool> hasPrivate, string currentKeyId)
    {
        if (!keys.ContainsKey(currentKeyId) || !hasPrivate[currentKeyId])
        {
            throw new ArgumentException($"The current audit signing key '{currentKeyId}' is not in the key ring with its private key.", nameof(currentKeyId));
        }

        _keys = keys;
        _private = hasPrivate;
        CurrentKeyId = currentKeyId;
        PublicKeys = [.. keys.OrderBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => new AuditPublicKey(k.Key, Algorithm, Convert.ToBase64String(k.Value.ExportSubjectPublicKeyInfo()), k.Key == currentKeyId))];
    }

    public string CurrentKeyId { get; }

    public IReadOnlyList<AuditPublicKey> PublicKeys { get; }

    /// <summary>Signs with the current key: the key id and the base64 signature (IEEE P1363, r || s).</summary>
    public (string KeyId, string Signature) Sign(byte[] payload)
    {
        lock (_signing)
        {
            var signature = _keys[CurrentKeyId].SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return (CurrentKeyId, Convert.ToBase64String(signature));
        }
    }

    /// <summary>Checks a signature against one published key (offline: no key ring needed).</summary>
    public static bool Verify(AuditPublicKey key, byte[] payload, string signature)
    {
        if (key.Algorithm != Algorithm)
        {
            return false;
        }

        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(key.PublicKey), out _);
            return ecdsa.VerifyData(payload, Convert.FromBase64String(signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (FormatException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>A ring with one fresh key, held in memory only (tests and benchmarks).</summary>
    public static AuditSigningKeys Generate(string keyId = "a1") =>
        new(new() { [keyId] = ECDsa.Create(ECCurve.NamedCurves.nistP256) }, new() { [keyId] = true }, keyId);

    public static AuditSigningKeys Load(IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory)
    {
        if (configuredKeys.Count > 0)
        {
            var lines = configuredKeys.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, k.Value)).ToList();
            return FromLines(lines, currentKeyId ?? lines.Last(l => !l.Value.StartsWith(PublicOnly, StringComparison.Ordinal)).Key);
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            Rotate(dataDirectory, "a1");
        }

        var fileLines = ReadLines(path);
        return FromLines(fileLines, fileLines.Last(l => !l.Value.StartsWith(PublicOnly, StringComparison.Ordinal)).Key);
    }

    /// <summary>Adds a fresh key to the data directory's key file; it becomes the current key at the next start.</summary>
    public static string Rotate(string dataDirectory, string? keyId = null)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var existing = File.Exists(path) ? ReadLines(path).Select(l => l.Key).ToHashSet(StringComparer.Ordinal) : [];
        keyId ??= $"a{existing.Count + 1}";
        while (existing.Contains(keyId))
        {
            keyId += "x";
        }

        Directory.CreateDirectory(dataDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var line = $"{keyId}={Convert.ToBase64String(key.ExportPkcs8PrivateKey())}{Environment.NewLine}";
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows() && !File.Exists(path))
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(new FileStream(path, options)))
        {
            writer.Write(line);
        }

        return keyId;
    }

    private static List<(string Key, string Value)> ReadLines(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).Select(p => (p[0].Trim(), p[1].Trim()))];

    private static AuditSigningKeys FromLines(IReadOnlyList<(string Key, string Value)> lines, string currentKeyId)
    {
        var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        var hasPrivate = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (id, value) in lines)
        {
            var ecdsa = ECDsa.Create();
            if (value.StartsWith(PublicOnly, StringComparison.Ordinal))
            {
                ecdsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(value[PublicOnly.Length..]), out _);
                hasPrivate[id] = false;
            }
            else
            {
                ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String(value), out _);
                hasPrivate[id] = true;
            }

            keys[id] = ecdsa;
        }

        return new AuditSigningKeys(keys, hasPrivate, currentKeyId);
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }
}
