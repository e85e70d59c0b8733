using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet.Models;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;
using ServiceSpec = EnvForge.Domain.Workspaces.ServiceSpec;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Runs a Local workspace's services as containers on its org's network, as its envforge.yml (at the recorded commit, in
/// the checkout) declares them: the image, or one built from the repository's Dockerfile (cached by the context's
/// content), the command, the port and the health check. Each container gets only its own service's secrets in its
/// environment and the runtime's isolation: every capability dropped, no new privileges, pids and memory limits, a
/// read-only root, a non-root user, the checkout mounted read-only at <c>/workspace</c>. Labels carry ids, never values.
/// A workspace declared through the API without a manifest runs the runtime's default image and command.
/// </summary>
public sealed class LocalServiceRuntime(
    LocalDocker docker, LocalHosts hosts, LocalPaths paths, LocalServiceAddresses addresses, IOptions<RuntimeOptions> runtime, TimeProvider time)
    : IServiceRuntime
{
    public const string CheckoutMount = "/workspace";

    private static readonly HttpClient Probe = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public async Task StartAsync(Workspace workspace, ResolvedSecrets secrets, CancellationToken ct)
    {
        await hosts.EnsureAsync(workspace.OrgId, ct);
        var manifest = await ManifestAsync(workspace, ct);
        addresses.Forget(workspace.Id);
        try
        {
            var started = new List<(ServiceSpec Spec, string Container, string? Health)>();
            foreach (var service in workspace.Services)
            {
                Heartbeat($"starting {service.Name}");
                var declared = manifest?.Service(service.Name);
                var container = await StartServiceAsync(workspace, service, declared, secrets, ct);
                started.Add((service, container, declared?.Health));
            }

            foreach (var (spec, container, health) in started)
            {
                await WaitHealthyAsync(workspace, spec, container, health, ct);
            }
        }
        catch
        {
            await StopAsync(workspace, CancellationToken.None); // nothing half-started stays running unrecorded
            throw;
        }
        finally
        {
            addresses.Forget(workspace.Id);
        }
    }

    public async Task StopAsync(Workspace workspace, CancellationToken ct)
    {
        foreach (var service in workspace.Services)
        {
            await docker.RemoveAsync(LocalNames.Service(workspace.Id, service.Name), ct);
        }

        addresses.Forget(workspace.Id);
    }

    private async Task<EnvForgeManifest?> ManifestAsync(Workspace workspace, CancellationToken ct)
    {
        var file = Path.Combine(paths.Checkout(workspace.OrgId, workspace.Id), EnvForgeManifest.FileName);
        if (workspace.Commit is null || !File.Exists(file))
        {
            return null;
        }

        var parsed = ManifestParser.Parse(await File.ReadAllTextAsync(file, ct), EnvForgeManifest.FileName);
        return parsed.Manifest ?? throw new ApplicationFailureException(
            $"envforge.yml at {workspace.Commit[..Math.Min(12, workspace.Commit.Length)]} is not valid: {parsed.Errors[0]}", "manifest_invalid", nonRetryable: true);
    }

    private async Task<string> StartServiceAsync(Workspace workspace, ServiceSpec service, ManifestService? declared, ResolvedSecrets secrets, CancellationToken ct)
    {
        var name = LocalNames.Service(workspace.Id, service.Name);
        await docker.RemoveAsync(name, ct); // a half-started earlier attempt
        var checkout = paths.Checkout(workspace.OrgId, workspace.Id);
        var image = await ImageAsync(workspace, declared, checkout, ct);
        var port = service.Port.ToString(CultureInfo.InvariantCulture);
        var env = secrets.ByService.TryGetValue(service.Name, out var own) ? own.Select(kv => $"{kv.Key}={kv.Value}").ToList() : [];
        env.AddRange([$"PORT={port}", "HOME=/tmp", $"ENVFORGE_SERVICE={service.Name}", $"ENVFORGE_WORKSPACE={workspace.Name}"]);
        var command = declared is null
            ? runtime.Value.ServiceCommand.Select(c => c.Replace("{port}", port, StringComparison.Ordinal)).ToList()
            : declared.Command?.ToList();
        var network = LocalNames.Network(workspace.OrgId);
        var created = await docker.Client.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Name = name,
                Hostname = service.Name,
                Image = image,
                Cmd = command,
                Env = env,
                User = docker.Options.ServiceUser,
                WorkingDir = declared?.Image is not null && Directory.Exists(checkout) ? CheckoutMount : null,
                Labels = new Dictionary<string, string>
                {
                    [LocalNames.OrgLabel] = workspace.OrgId.ToString(),
                    [LocalNames.RoleLabel] = "service",
                    [LocalNames.WorkspaceLabel] = workspace.Id.ToString(),
                    [LocalNames.ServiceLabel] = service.Name,
                    ["envforge.kind"] = service.Kind.ToString().ToLowerInvariant(),
                },
                HostConfig = new HostConfig
                {
                    NetworkMode = network,
                    CapDrop = ["ALL"],
                    SecurityOpt = ["no-new-privileges"],
                    PidsLimit = docker.Options.ServicePidsLimit,
                    Memory = docker.Options.ServiceMemoryBytes,
                    ReadonlyRootfs = true,
                    Tmpfs = new Dictionary<string, string> { ["/tmp"] = "rw,nosuid,nodev,size=64m" },
                    Binds = Directory.Exists(checkout) ? [$"{checkout}:{CheckoutMount}:ro"] : null,
                },
                NetworkingConfig = new NetworkingConfig
                {
                    // Reachable by the org's other containers as "{service}.{workspace}"; nothing is published on this machine.
                    EndpointsConfig = new Dictionary<string, EndpointSettings> { [network] = new() { Aliases = [$"{service.Name}.{workspace.Name}"] } },
                },
            },
            ct);
        await docker.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
        return name;
    }

    private async Task<string> ImageAsync(Workspace workspace, ManifestService? declared, string checkout, CancellationToken ct)
    {
        if (declared?.Build is not { } build)
        {
            return declared?.Image ?? runtime.Value.ServiceImage;
        }

        var context = Path.GetFullPath(Path.Combine(checkout, build.Context));
        if (!context.StartsWith(Path.GetFullPath(checkout), StringComparison.Ordinal) || !Directory.Exists(context))
        {
            throw new ApplicationFailureException($"service {declared.Name}: build context {build.Context} is not in the checkout", "build_failed", nonRetryable: true);
        }

        Heartbeat($"building {declared.Name}");
        try
        {
            return await docker.BuildAsync(context, build.Dockerfile, "envforge-build/context", ct);
        }
        catch (InvalidOperationException ex)
        {
            throw new ApplicationFailureException($"service {declared.Name}: {ex.Message}", "build_failed", nonRetryable: true);
        }
    }

    /// <summary>Polls the service (its health path, else its port) until it answers, it exits, or the deadline passes.</summary>
    private async Task WaitHealthyAsync(Workspace workspace, ServiceSpec service, string container, string? health, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + docker.Options.HealthTimeout;
        var network = LocalNames.Network(workspace.OrgId);
        while (true)
        {
            Heartbeat($"waiting for {service.Name}");
            var inspected = await docker.InspectAsync(container, ct);
            if (inspected is not { State.Running: true })
            {
                // Its log may hold anything the app printed: it stays with the engine, out of Temporal's history.
                throw new ApplicationFailureException(
                    $"service {service.Name} exited (code {inspected?.State.ExitCode}) before it answered; see `docker logs {container}`",
                    "service_exited", nonRetryable: false);
            }

            if (inspected.NetworkSettings.Networks.TryGetValue(network, out var endpoint) && IPAddress.TryParse(endpoint.IPAddress, out var ip)
                && await AnswersAsync(ip, service.Port, health, ct))
            {
                return;
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new ApplicationFailureException(
                    $"service {service.Name} did not answer {(health is null ? $"on port {service.Port}" : $"{health} on port {service.Port}")} within {docker.Options.HealthTimeout.TotalSeconds:0} s",
                    "service_unhealthy", nonRetryable: false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, ct);
        }
    }

    private static async Task<bool> AnswersAsync(IPAddress ip, int port, string? health, CancellationToken ct)
    {
        try
        {
            if (health is null)
            {
                using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await socket.ConnectAsync(ip, port, timeout.Token);
                return true;
            }

            using var response = await Probe.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{ip}:{port}{health}")), ct);
            return (int)response.StatusCode < 400;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static void Heartbeat(string what)
    {
        if (ActivityExecutionContext.HasCurrent)
        {
            ActivityExecutionContext.Current.Heartbeat(what);
        }
    }
}
