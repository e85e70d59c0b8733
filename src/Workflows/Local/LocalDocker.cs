using System.Formats.Tar;
using System.Net;
using System.Security.Cryptography;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Local;

/// <summary>What a command run in a container answered. Output is for the caller to judge, never to log as is.</summary>
public sealed record ExecResult(long ExitCode, string Output, string Error);

/// <summary>
/// The Docker engine of this machine, as the Local provider uses it: networks, containers, exec and image builds. Every
/// object it creates carries EnvForge's labels (org, role, workspace, service), never a secret.
/// </summary>
public sealed class LocalDocker(IOptions<LocalOptions> options) : IDisposable
{
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri(options.Value.DockerEndpoint)).CreateClient();

    public DockerClient Client => _docker;

    public LocalOptions Options => options.Value;

    /// <summary>The engine's version, e.g. "20.10.24 (API 1.41)"; throws when no engine answers.</summary>
    public async Task<string> VersionAsync(CancellationToken ct)
    {
        var version = await _docker.System.GetVersionAsync(ct);
        return $"{version.Version} (API {version.APIVersion})";
    }

    public async Task<ContainerInspectResponse?> InspectAsync(string name, CancellationToken ct)
    {
        try
        {
            return await _docker.Containers.InspectContainerAsync(name, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    public async Task<NetworkResponse?> InspectNetworkAsync(string name, CancellationToken ct)
    {
        var found = await _docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = Filter("name", name) }, ct);
        return found.FirstOrDefault(n => n.Name == name);
    }

    public async Task<bool> ImageExistsAsync(string image, CancellationToken ct)
    {
        try
        {
            await _docker.Images.InspectImageAsync(image, ct);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Removes a container if it exists (a second removal is fine).</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        try
        {
            await _docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true }, ct);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            return false; // removal already in progress
        }
    }

    /// <summary>Containers carrying every given label (key=value).</summary>
    public Task<IList<ContainerListResponse>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct) =>
        _docker.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = labels.ToDictionary(l => $"{l.Key}={l.Value}", _ => true),
                },
            },
            ct);

    /// <summary>Runs a command in a running container and waits for it; the exit code and output come back.</summary>
    public async Task<ExecResult> ExecAsync(string container, string user, IReadOnlyList<string> command, CancellationToken ct)
    {
        var exec = await _docker.Exec.ExecCreateContainerAsync(
            container,
            new ContainerExecCreateParameters { Cmd = [.. command], User = user, AttachStdout = true, AttachStderr = true },
            ct);
        using var stream = await _docker.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, ct);
        var (output, error) = await stream.ReadOutputToEndAsync(ct);
        var inspected = await _docker.Exec.InspectContainerExecAsync(exec.ID, ct);
        return new ExecResult(inspected.ExitCode, output, error);
    }

    /// <summary>A container's address on a network, or null when it is not attached to it (or not running).</summary>
    public async Task<IPAddress?> AddressAsync(string container, string network, CancellationToken ct)
    {
        var inspected = await InspectAsync(container, ct);
        return inspected is { State.Running: true } && inspected.NetworkSettings.Networks.TryGetValue(network, out var endpoint)
            && IPAddress.TryParse(endpoint.IPAddress, out var address)
            ? address
            : null;
    }

    /// <summary>
    /// Builds an image from a directory (its Dockerfile), tagged by the content of the context, so an unchanged context is
    /// never built twice. Only the build's outcome comes back; its log stays with the engine.
    /// </summary>
    public async Task<string> BuildAsync(string context, string dockerfile, string repository, CancellationToken ct)
    {
        using var tar = new MemoryStream();
        await TarFile.CreateFromDirectoryAsync(context, tar, includeBaseDirectory: false, ct);
        tar.Position = 0;
        var tag = $"{repository}:{Convert.ToHexStringLower(SHA256.HashData(tar.ToArray()))[..16]}";
        if (await ImageExistsAsync(tag, ct))
        {
            return tag;
        }

        tar.Position = 0;
        var progress = new FirstError();
        await _docker.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters { Dockerfile = dockerfile, Tags = [tag], Remove = true, ForceRemove = true, Labels = new Dictionary<string, string> { ["envforge.build"] = "local" } },
            tar,
            authConfigs: null,
            headers: null,
            progress,
            ct);
        if (!await ImageExistsAsync(tag, ct))
        {
            throw new InvalidOperationException($"docker build of {dockerfile} failed: {progress.Message ?? "no image was produced"}");
        }

        return tag;
    }

    /// <summary>Keeps the build's first error, synchronously (a <see cref="Progress{T}"/> would report after the build returned).</summary>
    private sealed class FirstError : IProgress<JSONMessage>
    {
        public string? Message { get; private set; }

        public void Report(JSONMessage value) => Message ??= value.Error?.Message ?? value.ErrorMessage;
    }

    public static IDictionary<string, IDictionary<string, bool>> Filter(string key, string value) =>
        new Dictionary<string, IDictionary<string, bool>> { [key] = new Dictionary<string, bool> { [value] = true } };

    public void Dispose() => _docker.Dispose();
}
