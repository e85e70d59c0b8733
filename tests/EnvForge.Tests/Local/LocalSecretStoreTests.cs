using System.Security.Cryptography;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Security;

namespace EnvForge.Tests.Local;

/// <summary>The local secret store: files mirroring SSM paths, 0600 in 0700 directories, sealed, bound to org and path, versioned.</summary>
public sealed class LocalSecretStoreTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("envforge-secrets-").FullName;
    private readonly FieldEncryption _encryption = new(new Dictionary<string, byte[]> { ["k1"] = RandomNumberGenerator.GetBytes(32) }, "k1");

    private LocalSecretStore Store() => new(_encryption, new LocalPaths(_data));

    private static async Task SetAsync(LocalSecretStore store, Guid org, string path, string value)
    {
        using (await store.LockAsync(org, CancellationToken.None))
        {
            var version = await store.CurrentVersionAsync(org, path, CancellationToken.None) + 1;
            LocalSecretStore.Commit(await store.StageAsync(org, path, version, value, CancellationToken.None));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_secret_is_a_sealed_0600_file_at_its_ssm_path_and_reads_back_with_its_version()
    {
        var store = Store();
        var org = Guid.CreateVersion7();
        await SetAsync(store, org, "/envforge/acme/db", "first-value-x1");
        await SetAsync(store, org, "/envforge/acme/db", "second-value-x2");

        var file = Path.Combine(_data, "local", "secrets", org.ToString("N"), "envforge", "acme", "db.secret");
        Assert.True(File.Exists(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        for (var directory = Path.GetDirectoryName(file)!; directory != Path.Combine(_data, "local"); directory = Path.GetDirectoryName(directory)!)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        }

        var onDisk = await File.ReadAllTextAsync(file);
        Assert.DoesNotContain("value-x", onDisk, StringComparison.Ordinal);
        Assert.Equal("second-value-x2", await store.ReadAsync(org, "/envforge/acme/db", CancellationToken.None));
        Assert.Equal([("/envforge/acme/db", 2)], (await store.ListAsync(org, CancellationToken.None)).Select(s => (s.Path, s.Version)));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(file)!, "*.pending"));
    }

    [Fact]
    public async Task A_file_copied_to_another_org_or_path_does_not_open()
    {
        var store = Store();
        var (acme, globex) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await SetAsync(store, acme, "/envforge/acme/db", "acme-only");
        await SetAsync(store, globex, "/envforge/acme/db", "placeholder");
        await SetAsync(store, acme, "/envforge/acme/other", "placeholder");
        var secrets = Path.Combine(_data, "local", "secrets");
        var source = Path.Combine(secrets, acme.ToString("N"), "envforge", "acme", "db.secret");
        File.Copy(source, Path.Combine(secrets, globex.ToString("N"), "envforge", "acme", "db.secret"), overwrite: true);
        File.Copy(source, Path.Combine(secrets, acme.ToString("N"), "envforge", "acme", "other.secret"), overwrite: true);

        await Assert.ThrowsAnyAsync<CryptographicException>(() => store.ReadAsync(globex, "/envforge/acme/db", CancellationToken.None));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => store.ReadAsync(acme, "/envforge/acme/other", CancellationToken.None));
    }

    [Fact]
    public async Task A_discarded_stage_leaves_the_current_value_and_paths_outside_ssm_syntax_are_refused()
    {
        var store = Store();
        var org = Guid.CreateVersion7();
        await SetAsync(store, org, "/envforge/acme/db", "kept");

        LocalSecretStore.Discard(await store.StageAsync(org, "/envforge/acme/db", 2, "dropped", CancellationToken.None));

        Assert.Equal("kept", await store.ReadAsync(org, "/envforge/acme/db", CancellationToken.None));
        Assert.Equal(1, await store.CurrentVersionAsync(org, "/envforge/acme/db", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.StageAsync(org, "/envforge/../../etc/passwd", 1, "x", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(org, "relative/path", CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
