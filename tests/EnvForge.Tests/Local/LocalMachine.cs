using System.Diagnostics;
using System.Security.Cryptography;
using Docker.DotNet;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Local;

/// <summary>
/// The Local provider's parts on this machine's real Docker engine, over a data directory of their own: the host image
/// (built by ops/test.sh) must be there, or the test is skipped with the reason (a failure when ENVFORGE_REQUIRE_DOCKER=1).
/// Everything a test's orgs leave on the engine (containers, networks) is removed at the end, by their org label.
/// </summary>
public sealed class LocalMachine : IAsyncDisposable
{
    private readonly List<Guid> _orgs = [];

    private LocalMachine(LocalOptions options)
    {
        DataDirectory = Directory.CreateTempSubdirectory("envforge-local-").FullName;
        Options = options;
        Docker = new LocalDocker(Microsoft.Extensions.Options.Options.Create(options));
        Paths = new LocalPaths(DataDirectory);
        Hosts = new LocalHosts(Docker, Paths);
        Encryption = new FieldEncryption(new Dictionary<string, byte[]> { ["k1"] = RandomNumberGenerator.GetBytes(32) }, "k1");
        Secrets = new LocalSecretStore(Encryption, Paths);
        Addresses = new LocalServiceAddresses(Docker, TimeProvider.System);
        Repositories = new GitRepositories(Paths.RepositoryMirrors);
    }

    public string DataDirectory { get; }

    public LocalOptions Options { get; }

    public LocalDocker Docker { get; }

    public LocalPaths Paths { get; }

    public LocalHosts Hosts { get; }

    public FieldEncryption Encryption { get; }

    public LocalSecretStore Secrets { get; }

    public LocalServiceAddresses Addresses { get; }

    public GitRepositories Repositories { get; }

    public static string RuntimeImage => Environment.GetEnvironmentVariable("ENVFORGE_TEST_RUNTIME_IMAGE") is { Length: > 0 } i ? i : "envforge/runtime:latest";

    public static async Task<LocalMachine> StartAsync()
    {
        var machine = new LocalMachine(new LocalOptions { HealthTimeout = TimeSpan.FromSeconds(60) });
        try
        {
            foreach (var image in new[] { machine.Options.HostImage, RuntimeImage })
            {
                if (!await machine.Docker.ImageExistsAsync(image, CancellationToken.None))
                {
                    throw new InvalidOperationException($"the image {image} is missing (ops/lib/images.sh builds it)");
                }
            }
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_DOCKER") != "1"
            && ex is DockerApiException or HttpRequestException or IOException or TimeoutException or InvalidOperationException)
        {
            await machine.DisposeAsync();
            Assert.Skip($"no Docker engine with EnvForge's local images here ({ex.Message}); run ops/test.sh");
        }

        return machine;
    }

    /// <summary>A fresh org id whose containers and network this machine removes at the end.</summary>
    public Guid NewOrg() => Adopt(Guid.CreateVersion7());

    /// <summary>An org made elsewhere (by the API) whose containers and network this machine removes at the end.</summary>
    public Guid Adopt(Guid org)
    {
        _orgs.Add(org);
        return org;
    }

    public LocalServiceRuntime Runtime() => new(
        Docker, Hosts, Paths, Addresses, Microsoft.Extensions.Options.Options.Create(new RuntimeOptions { ServiceImage = RuntimeImage }), TimeProvider.System);

    public LocalRootAccessHost RootHost(TimeProvider? time = null) =>
        new(Docker, Microsoft.Extensions.Options.Options.Create(new ElevationOptions()), time ?? TimeProvider.System);

    /// <summary>Runs a command as <paramref name="user"/> in the org's host; the exit code.</summary>
    public async Task<long> OnHostAsync(Guid orgId, string user, params string[] command) =>
        (await Docker.ExecAsync(LocalNames.Host(orgId), user, command, CancellationToken.None)).ExitCode;

    /// <summary>Whether the dev login on the org's host can become root without a password right now.</summary>
    public async Task<bool> DevHasRootAsync(Guid orgId) => await OnHostAsync(orgId, "dev", "sudo", "-n", "true") == 0;

    /// <summary>A git repository (branch main) holding a copy of ops/sample-app, one commit; returns its path and commit.</summary>
    public (string Path, string Commit) SampleRepository(Action<string>? change = null)
    {
        var repo = Path.Combine(DataDirectory, "repos-src", Guid.NewGuid().ToString("N")[..8]);
        Copy(Path.Combine(ApiProcess.RepositoryRoot(), "ops", "sample-app"), repo);
        change?.Invoke(repo);
        Git(repo, "init", "--quiet", "--initial-branch=main");
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=EnvForge Test", "-c", "user.email=test@envforge.invalid", "commit", "--quiet", "-m", "sample app");
        return (repo, Git(repo, "rev-parse", "HEAD").Trim());
    }

    public static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)} failed: {error}");
        return output;
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var org in _orgs)
        {
            try
            {
                foreach (var container in await Docker.ListAsync(new Dictionary<string, string> { [LocalNames.OrgLabel] = org.ToString() }, CancellationToken.None))
                {
                    await Docker.RemoveAsync(container.ID, CancellationToken.None);
                }

                if (await Docker.InspectNetworkAsync(LocalNames.Network(org), CancellationToken.None) is { } network)
                {
                    await Docker.Client.Networks.DeleteNetworkAsync(network.ID, CancellationToken.None);
                }
            }
            catch (DockerApiException)
            {
                // best effort: a leftover is named for its org and labelled, and harms no other test
            }
        }

        Docker.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
