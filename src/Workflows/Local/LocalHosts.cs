using System.Collections.Concurrent;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace EnvForge.Workflows.Local;

/// <summary>What <see cref="LocalHosts.EnsureAsync"/> found or made: the org's network and host, and whether each was new.</summary>
public sealed record OrgHost(string Network, string Host, bool NetworkCreated, bool HostCreated);

/// <summary>A host refused for the org (it belongs to another, or is not what EnvForge made): final, never retried.</summary>
public sealed class HostOwnershipException(string message) : Exception(message);

/// <summary>
/// Org-exclusive hosts on this machine: per org, one Docker bridge network of its own and one long-lived host container on
/// it (Debian, a <c>dev</c> login with sudo available but no standing root, the org's checkouts under <c>/workspaces</c>).
/// Docker keeps bridge networks apart, so nothing on one org's network reaches another's. Creating is idempotent: a
/// retried or concurrent call finds what the first one made, and checks that it is the org's own.
/// </summary>
public sealed class LocalHosts(LocalDocker docker, LocalPaths paths)
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _gates = new();

    public async Task<OrgHost> EnsureAsync(Guid orgId, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(orgId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            // The engine does not refuse a second network of the same name when two creations race, so processes sharing
            // this machine (and its data directory) take the org's lock file first.
            await using var exclusive = await LockFileAsync(orgId, ct);
            var networkCreated = await EnsureNetworkAsync(orgId, ct);
            var hostCreated = await EnsureHostContainerAsync(orgId, ct);
            return new OrgHost(LocalNames.Network(orgId), LocalNames.Host(orgId), networkCreated, hostCreated);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<FileStream> LockFileAsync(Guid orgId, CancellationToken ct)
    {
        var path = Path.Combine(paths.Root, "orgs", $"{orgId:N}.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, released when the stream is disposed.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
        }
    }

    /// <summary>The org's host must run, answer as the <c>dev</c> login, sit on the org's network only, and hold no standing root.</summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(Guid orgId, CancellationToken ct)
    {
        var name = LocalNames.Host(orgId);
        var network = LocalNames.Network(orgId);
        var host = await docker.InspectAsync(name, ct) ?? throw new HostVerificationException($"host {name} does not exist");
        CheckOwner(host, orgId);
        if (!host.State.Running)
        {
            throw new HostVerificationException($"host {name} is not running ({host.State.Status})");
        }

        var networks = host.NetworkSettings.Networks.Keys.ToList();
        if (networks is not [var only] || only != network)
        {
            throw new HostVerificationException($"host {name} must be on {network} only (is on {string.Join(", ", networks)})");
        }

        var whoami = await docker.ExecAsync(name, "dev", ["id", "-un"], ct);
        if (whoami.ExitCode != 0 || whoami.Output.Trim() != "dev")
        {
            throw new HostVerificationException($"host {name} does not answer as the dev login (exit {whoami.ExitCode})");
        }

        var root = await docker.ExecAsync(name, "dev", ["sudo", "-n", "true"], ct);
        if (root.ExitCode == 0)
        {
            throw new HostVerificationException($"the dev login on host {name} holds standing root");
        }

        return [$"docker:running:{name}", $"exec:dev@{name}", $"network:{network}:only", "root:none-standing"];
    }

    private async Task<bool> EnsureNetworkAsync(Guid orgId, CancellationToken ct)
    {
        var name = LocalNames.Network(orgId);
        if (await docker.InspectNetworkAsync(name, ct) is { } existing)
        {
            CheckOwner(existing.Labels, orgId, $"network {name}");
            return false;
        }

        await docker.Client.Networks.CreateNetworkAsync(
            new NetworksCreateParameters
            {
                Name = name,
                Driver = "bridge",
                CheckDuplicate = true,
                Labels = new Dictionary<string, string> { [LocalNames.OrgLabel] = orgId.ToString(), [LocalNames.RoleLabel] = "network" },
            },
            ct);
        return true;
    }

    private async Task<bool> EnsureHostContainerAsync(Guid orgId, CancellationToken ct)
    {
        var name = LocalNames.Host(orgId);
        var created = false;
        var host = await docker.InspectAsync(name, ct);
        if (host is null)
        {
            var workspaces = paths.OrgWorkspaces(orgId);
            Directory.CreateDirectory(workspaces);
            try
            {
                await docker.Client.Containers.CreateContainerAsync(HostParameters(orgId, workspaces), ct);
                created = true;
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
            {
                // Another process made it first: it is checked below like any existing host.
            }

            host = await docker.InspectAsync(name, ct) ?? throw new HostVerificationException($"host {name} vanished while it was being created");
        }

        CheckOwner(host, orgId);
        if (!host.State.Running)
        {
            await docker.Client.Containers.StartContainerAsync(name, new ContainerStartParameters(), ct);
        }

        return created;
    }

    private CreateContainerParameters HostParameters(Guid orgId, string workspaces) => new()
    {
        Name = LocalNames.Host(orgId),
        Hostname = $"org-{orgId.ToString("N")[..12]}",
        Image = docker.Options.HostImage,
        Cmd = ["sleep", "infinity"],
        WorkingDir = LocalNames.HostWorkspaces,
        Labels = new Dictionary<string, string> { [LocalNames.OrgLabel] = orgId.ToString(), [LocalNames.RoleLabel] = "host" },
        HostConfig = new HostConfig
        {
            // Like a VM: root inside (sudo must work during a grant), so no "no-new-privileges"; raw sockets and device
            // nodes are not needed, so those capabilities go.
            Init = true,
            NetworkMode = LocalNames.Network(orgId),
            Binds = [$"{workspaces}:{LocalNames.HostWorkspaces}"],
            CapDrop = ["NET_RAW", "MKNOD"],
            Memory = docker.Options.HostMemoryBytes,
            PidsLimit = docker.Options.HostPidsLimit,
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
        },
    };

    private static void CheckOwner(ContainerInspectResponse host, Guid orgId) =>
        CheckOwner(host.Config.Labels, orgId, $"host {host.Name.TrimStart('/')}");

    private static void CheckOwner(IDictionary<string, string>? labels, Guid orgId, string what)
    {
        if (labels is null || !labels.TryGetValue(LocalNames.OrgLabel, out var owner) || owner != orgId.ToString())
        {
            throw new HostOwnershipException($"{what} is not this organization's; it is never used for it");
        }
    }
}

/// <summary>A host check failed: retryable (a host just started may need a moment).</summary>
public sealed class HostVerificationException(string message) : Exception(message);
