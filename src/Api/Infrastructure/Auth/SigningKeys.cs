using System.Security.Cryptography;
using EnvForge.Workflows.Security;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// The embedded provider's keys, kept in the data directory (never in the database), each file mode 0600:
/// <list type="bullet">
/// <item><c>oidc-signing.keys</c>: RSA-2048 signing keys, one line each (<c>kid=base64 PKCS#8</c>); the last line signs,
/// every line is published in the JWKS, so a token signed by an older key stays valid until it expires. Rotate with
/// <c>EnvForge.Api keys rotate</c> (adds a key that signs from the next start), retire the old one later with
/// <c>EnvForge.Api keys retire KID</c> (after the longest token lifetime, 15 minutes for access tokens).</item>
/// <item><c>oidc-encryption.keys</c>: the AES-256 key that seals authorization codes, device codes and refresh tokens.</item>
/// </list>
/// </summary>
public sealed class SigningKeys
{
    public const string SigningFile = "oidc-signing.keys";
    public const string EncryptionFile = "oidc-encryption.keys";

    private SigningKeys(IReadOnlyList<RsaSecurityKey> signing, SymmetricSecurityKey encryption)
    {
        Signing = signing;
        Encryption = encryption;
    }

    /// <summary>Newest first: the first one signs, all are published.</summary>
    public IReadOnlyList<RsaSecurityKey> Signing { get; }

    public SymmetricSecurityKey Encryption { get; }

    public string CurrentKeyId => Signing[0].KeyId;

    public static SigningKeys Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, SigningFile);
        if (!File.Exists(path))
        {
            AppendLine(path, NewKeyLine(), createNew: true);
        }

        var keys = ReadLines(path).Select(line =>
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(line.Value), out _);
            return new RsaSecurityKey(rsa) { KeyId = line.Id };
        }).Reverse().ToList();
        var (encryption, current) = KeyRing.Load(new Dictionary<string, string>(), null, dataDirectory, EncryptionFile, "enc-1");
        return new SigningKeys(keys, new SymmetricSecurityKey(encryption[current]) { KeyId = current });
    }

    /// <summary>Adds a fresh signing key after the others: it signs from the next start; the old ones stay published.</summary>
    public static string Rotate(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, SigningFile);
        var line = NewKeyLine();
        AppendLine(path, line, createNew: !File.Exists(path));
        return line.Split('=', 2)[0];
    }

    /// <summary>Stops publishing a key (tokens it signed stop being valid). The signing key itself cannot be retired.</summary>
    public static bool Retire(string dataDirectory, string keyId, out string? problem)
    {
        var path = Path.Combine(dataDirectory, SigningFile);
        var lines = File.Exists(path) ? ReadLines(path).ToList() : [];
        problem = lines.FindIndex(l => l.Id == keyId) switch
        {
            -1 => $"no signing key {keyId}",
            var i when i == lines.Count - 1 => $"{keyId} is the current signing key: rotate first",
            _ => null,
        };
        if (problem is not null)
        {
            return false;
        }

        File.WriteAllLines(path, lines.Where(l => l.Id != keyId).Select(l => $"{l.Id}={l.Value}"));
        return true;
    }

    public static IReadOnlyList<string> List(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, SigningFile);
        return File.Exists(path) ? [.. ReadLines(path).Select(l => l.Id)] : [];
    }

    private static IEnumerable<(string Id, string Value)> ReadLines(string path) =>
        File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).Select(p => (p[0].Trim(), p[1].Trim()));

    private static string NewKeyLine()
    {
        using var rsa = RSA.Create(2048);
        return $"sig-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}={Convert.ToBase64String(rsa.ExportPkcs8PrivateKey())}";
    }

    private static void AppendLine(string path, string line, bool createNew)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = createNew ? FileMode.CreateNew : FileMode.Append, Access = FileAccess.Write };
        if (createNew && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(new FileStream(path, options));
        writer.WriteLine(line);
    }
}
