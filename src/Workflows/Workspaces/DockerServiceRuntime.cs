using Docker.DotNet;
using Docker.DotNet.Models;
using EnvForge.Domain.Workspaces;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Workspaces;

/// <summary>Bound from "Runtime": the Docker engine of the runtime host and the image services run from.</summary>
public sealed class RuntimeOptions
{
    public const string Section = "Runtime";

    /// <summary>The runtime host's Docker endpoint (a unix socket, or a tcp endpoint reached through the host's tunnel).</summary>
    public string DockerEndpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>The image each service container runs. The workspace's repository is built into it by terraform's user data.</summary>
    public string ServiceImage { get; set; } = "envforge/runtime:latest";

    /// <summary>The command each service runs; <c>{port}</c> is replaced by the service's port.</summary>
    public string[] ServiceCommand { get; set; } = ["sh", "-c", "exec httpd -f -p {port} -h /srv"];
}

/// <summary>
/// Runs a workspace's services as containers on its runtime host. Each container gets only its own service's
/// secrets, as environment variables set at creation; nothing is written to disk or logged. Sleeping removes the
/// containers (the meter stops); waking creates them again with freshly resolved secrets.
/// </summary>
public sealed class DockerServiceRuntime(IOptions<RuntimeOptions> options) : IServiceRuntime, IDisposable
{
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri(options.Value.DockerEndpoint)).CreateClient();

    public static string ContainerName(Guid workspaceId, string service) => $"envforge-{workspaceId:N}-{service}";

    public async Task StartAsync(Workspace workspace, ResolvedSecrets secrets, CancellationToken ct)
    {
        foreach (var service in workspace.Services)
        {
            var name = ContainerName(workspace.Id, service.Name);
            await RemoveAsync(name, ct); // a half-started earlier attempt
            var env = secrets.ByService.TryGetValue(service.Name, out var own) ? own.Select(kv => $"{kv.Key}={kv.Value}").ToList() : [];
            env.Add($"PORT={service.Port}");
            var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Name = name,
                Image = options.Value.ServiceImage,
                Cmd = options.Value.ServiceCommand.Select(c => c.Replace("{port}", service.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)).ToList(),
                Env = env,
                Labels = new Dictionary<string, string>
                {
                    ["envforge.workspace"] = workspace.Id.ToString(),
                    ["envforge.org"] = workspace.OrgId.ToString(),
                    ["envforge.service"] = service.Name,
                },
                HostConfig = new HostConfig
                {
                    NetworkMode = "none",
                    CapDrop = ["ALL"],
                    SecurityOpt = ["no-new-privileges"],
                    PidsLimit = 256,
                    Memory = 256 * 1024 * 1024,
                    ReadonlyRootfs = true,
                },
            }, ct);
            await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
        }
    }

    public async Task StopAsync(Workspace workspace, CancellationToken ct)
    {
        foreach (var service in workspace.Services)
        {
            await RemoveAsync(ContainerName(workspace.Id, service.Name), ct);
        }
    }

    private async Task RemoveAsync(string name, CancellationToken ct)
    {
        try
        {
            await _docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true }, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            // already gone: sleeping twice is fine
        }
    }

    public void Dispose() => _docker.Dispose();
}
