using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using EnvForge.Domain.Common;
using EnvForge.Domain.Secrets;
using EnvForge.Workflows.Security;

namespace EnvForge.Workflows.Local;

/// <summary>A secret's version as the store holds it (never its value).</summary>
public sealed record StoredSecret(string Path, int Version, DateTimeOffset UpdatedAt);

/// <summary>A value written next to its final place, waiting for its event to be recorded before it replaces the current one.</summary>
public sealed class StagedSecret(string pending, string target)
{
    internal string Pending { get; } = pending;

    internal string Target { get; } = target;
}

/// <summary>
/// The Local provider's stand-in for SSM Parameter Store: one file per secret under the data directory, mirroring the
/// SSM path (<c>{data}/local/secrets/{org}/envforge/acme/db.secret</c>), mode 0600 in 0700 directories, the value sealed
/// with AES-256-GCM by the field-encryption key ring and bound to its org and path (a file copied elsewhere does not
/// open). Writes of one org are serialized (<see cref="LockAsync"/>); a write replaces the file atomically.
/// </summary>
public sealed class LocalSecretStore(FieldEncryption encryption, LocalPaths paths)
{
    private const string Suffix = ".secret";
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();

    public static string Purpose(Guid orgId, string path) => $"org:{orgId:N}:secret:{path}";

    /// <summary>Serializes writes of one org's secrets: read the version, record the event, replace the file.</summary>
    public async Task<IDisposable> LockAsync(Guid orgId, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(orgId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    public async Task<int> CurrentVersionAsync(Guid orgId, string path, CancellationToken ct) => (await ReadFileAsync(orgId, path, ct))?.Version ?? 0;

    /// <summary>Seals the value and writes it beside its final place (mode 0600). Nothing reads it until <see cref="Commit"/>.</summary>
    public async Task<StagedSecret> StageAsync(Guid orgId, string path, int version, string value, CancellationToken ct)
    {
        var target = FileOf(orgId, path);
        CreateDirectories(Path.GetDirectoryName(target)!);
        var sealedValue = encryption.Seal(value, Purpose(orgId, path));
        var pending = $"{target}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.pending";
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        await using (var file = new FileStream(pending, options))
        {
            await JsonSerializer.SerializeAsync(file, new SecretFile(path, version, sealedValue), Json, ct);
        }

        return new StagedSecret(pending, target);
    }

    public static void Commit(StagedSecret staged) => File.Move(staged.Pending, staged.Target, overwrite: true);

    public static void Discard(StagedSecret staged) => File.Delete(staged.Pending);

    /// <summary>The value of a secret, or null when the org has none at that path.</summary>
    /// <exception cref="CryptographicException">The key that sealed it is gone, or the file was tampered with or moved.</exception>
    public async Task<string?> ReadAsync(Guid orgId, string path, CancellationToken ct) =>
        await ReadFileAsync(orgId, path, ct) is { } file ? encryption.Open(file.Value, Purpose(orgId, path)) : null;

    /// <summary>Every secret of the org, by path and version, without values.</summary>
    public async Task<IReadOnlyList<StoredSecret>> ListAsync(Guid orgId, CancellationToken ct)
    {
        var root = paths.Secrets(orgId);
        if (!Directory.Exists(root))
        {
            return [];
        }

        var list = new List<StoredSecret>();
        foreach (var name in Directory.EnumerateFiles(root, "*" + Suffix, SearchOption.AllDirectories))
        {
            var path = "/" + Path.GetRelativePath(root, name)[..^Suffix.Length].Replace('\\', '/');
            if (OrgSecretDecider.IsValidPath(path) && await ReadFileAsync(orgId, path, ct) is { } file)
            {
                list.Add(new StoredSecret(path, file.Version, File.GetLastWriteTimeUtc(name)));
            }
        }

        return [.. list.OrderBy(s => s.Path, StringComparer.Ordinal)];
    }

    private async Task<SecretFile?> ReadFileAsync(Guid orgId, string path, CancellationToken ct)
    {
        var name = FileOf(orgId, path);
        if (!File.Exists(name))
        {
            return null;
        }

        await using var file = File.OpenRead(name);
        return await JsonSerializer.DeserializeAsync<SecretFile>(file, Json, ct);
    }

    private string FileOf(Guid orgId, string path)
    {
        if (!OrgSecretDecider.IsValidPath(path))
        {
            throw new ArgumentException("not an SSM parameter path", nameof(path));
        }

        return Path.Combine(paths.Secrets(orgId), path[1..].Replace('/', Path.DirectorySeparatorChar) + Suffix);
    }

    /// <summary>Every directory from the store's root down is created 0700 (CreateDirectory's mode covers only the last).</summary>
    private void CreateDirectories(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        var root = Path.Combine(paths.Root, "secrets");
        var current = Path.GetDirectoryName(root)!;
        foreach (var part in Path.GetRelativePath(current, directory).Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, part);
            if (!Directory.Exists(current))
            {
                Directory.CreateDirectory(current, DirectoryMode);
            }
        }
    }

    private sealed record SecretFile(string Path, int Version, EncryptedValue Value);

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
