using System.Security.Cryptography;

namespace EnvForge.Workflows.Security;

/// <summary>
/// Where EnvForge's symmetric key rings come from, kept apart from the database: configuration ("{section}:Keys:{id}",
/// base64, with "{section}:CurrentKeyId"), else a key file in the data directory (lines <c>id=base64</c>, the last line
/// current), created mode 0600 with one fresh 256-bit key on first use.
/// </summary>
public static class KeyRing
{
    public static (IReadOnlyDictionary<string, byte[]> Keys, string CurrentKeyId) Load(
        IReadOnlyDictionary<string, string> configuredKeys, string? currentKeyId, string dataDirectory, string fileName, string firstKeyId)
    {
        if (configuredKeys.Count > 0)
        {
            return (configuredKeys.ToDictionary(kv => kv.Key, kv => Convert.FromBase64String(kv.Value)),
                currentKeyId ?? configuredKeys.Keys.Order(StringComparer.Ordinal).Last());
        }

        var path = Path.Combine(dataDirectory, fileName);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDirectory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(new FileStream(path, options));
            writer.WriteLine($"{firstKeyId}={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}");
        }

        var lines = File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).ToList();
        return (lines.ToDictionary(p => p[0].Trim(), p => Convert.FromBase64String(p[1].Trim())), lines[^1][0].Trim());
    }
}
