using System.Text.Json;
using System.Text.Json.Serialization;

namespace EnvForge.Cli.Infrastructure;

/// <summary>What <c>envforge login</c> keeps: the server, the tokens and when the access token expires. Never printed unless asked.</summary>
public sealed record Credentials(
    string Server, string AccessToken, string? RefreshToken, DateTimeOffset ExpiresAt, string? TokenEndpoint, string ClientId, string? DefaultOrg = null);

/// <summary>
/// The user's config directory (<c>ENVFORGE_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/envforge</c>, else
/// <c>~/.config/envforge</c>): the directory mode 0700, <c>credentials.json</c> mode 0600, written whole by rename so a
/// reader never sees half a file. A lock file serializes refreshes between concurrent commands: refresh tokens rotate, and
/// two processes exchanging the same one would look like theft and revoke the session.
/// </summary>
public sealed class CredentialStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public CredentialStore(string? directory = null) => Directory = directory ?? DefaultDirectory();

    public string Directory { get; }

    public string FilePath => Path.Combine(Directory, "credentials.json");

    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable("ENVFORGE_CONFIG_DIR") is { Length: > 0 } configured ? configured
        : Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "envforge")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "envforge");

    public Credentials? Load() =>
        File.Exists(FilePath) ? JsonSerializer.Deserialize<Credentials>(File.ReadAllText(FilePath), Json) : null;

    public void Save(Credentials credentials)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var temporary = FilePath + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, credentials, Json);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }

    public void Delete() => File.Delete(FilePath);

    /// <summary>Holds the refresh lock until disposed (waits for another command's refresh, up to 30 s).</summary>
    public async Task<IDisposable> LockAsync(CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(Directory, "credentials.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct);
            }
        }
    }
}
