using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>The embedded default's token signing key: configured, or generated once into the data directory (mode 0600).</summary>
public static class LocalSigningKey
{
    private const string FileName = "local-signing.key";

    public static SymmetricSecurityKey Load(AuthOptions options, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(options.LocalSigningKey))
        {
            return Create(Convert.FromBase64String(options.LocalSigningKey));
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDirectory);
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, fileOptions);
            using var writer = new StreamWriter(stream);
            writer.Write(fresh);
        }

        return Create(Convert.FromBase64String(File.ReadAllText(path).Trim()));
    }

    private static SymmetricSecurityKey Create(byte[] bytes) =>
        bytes.Length >= 32 ? new SymmetricSecurityKey(bytes) { KeyId = "local-1" } : throw new InvalidOperationException("The local signing key must be at least 256 bits.");
}
