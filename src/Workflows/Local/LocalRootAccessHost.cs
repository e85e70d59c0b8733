using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Elevation;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Root elevation on a Local workspace's host: the very scripts the SSM host sends (<see cref="SsmRootAccessHost.GrantScript"/>,
/// <see cref="SsmRootAccessHost.RevokeScript"/>), run as root in the org's host container with Docker exec. The host has
/// no systemd, so the grant script's own fallback (a sleeper in a session of its own) takes root away at expiry should
/// EnvForge not come back. Only the workspace's own org host is ever touched.
/// </summary>
public sealed class LocalRootAccessHost(LocalDocker docker, IOptions<ElevationOptions> options, TimeProvider time) : IRootAccessHost
{
    public Task GrantAsync(Workspace workspace, Guid grantId, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var seconds = Math.Max(60, (long)Math.Ceiling((expiresAt - time.GetUtcNow()).TotalSeconds));
        return RunAsync(workspace, SsmRootAccessHost.GrantScript(grantId, options.Value.HostUser, expiresAt, seconds), "grant", ct);
    }

    public Task RevokeAsync(Workspace workspace, Guid grantId, CancellationToken ct) =>
        RunAsync(workspace, SsmRootAccessHost.RevokeScript(grantId, options.Value.HostUser), "closeout", ct);

    /// <summary>Runs a host script as root in the workspace's org host; a non-zero exit is a (retryable) failure.</summary>
    public async Task RunAsync(Workspace workspace, IReadOnlyList<string> script, string what, CancellationToken ct)
    {
        var host = HostOf(workspace);
        ExecResult result;
        try
        {
            result = await docker.ExecAsync(host, "root", ["/bin/sh", "-c", string.Join('\n', script) + "\n"], ct);
        }
        catch (Docker.DotNet.DockerApiException ex)
        {
            throw new ApplicationFailureException($"the host {host} could not run the {what} script ({(int)ex.StatusCode})", "elevation.host_unreachable", nonRetryable: false);
        }

        if (result.ExitCode != 0)
        {
            throw new ApplicationFailureException($"the {what} script on host {host} ended with exit {result.ExitCode}", "elevation.host_command_failed", nonRetryable: false);
        }
    }

    /// <summary>The workspace's placement must be its own org's Local host: never another org's, never an AWS instance.</summary>
    private static string HostOf(Workspace workspace)
    {
        var placement = workspace.Placement
            ?? throw new ApplicationFailureException("the workspace has no host", "elevation.no_host", nonRetryable: true);
        if (placement.Region != LocalNames.Region || placement.InstanceId != LocalNames.Host(workspace.OrgId))
        {
            throw new ApplicationFailureException("the workspace is not placed on its org's Local host", "elevation.no_host", nonRetryable: true);
        }

        return placement.InstanceId;
    }
}
