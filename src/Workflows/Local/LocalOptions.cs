using EnvForge.Domain.Workspaces;
using Microsoft.Extensions.Configuration;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Which provider this deployment provisions workspaces with: <c>Infrastructure:Provider</c> (Aws or Local), or by default
/// Local when no AWS platform account is configured (<c>Aws:PlatformAccountId</c>), so EnvForge runs whole on one machine.
/// </summary>
public sealed record InfrastructureSelection(InfrastructureProvider Provider, string Reason)
{
    public const string Setting = "Infrastructure:Provider";

    public bool IsLocal => Provider == InfrastructureProvider.Local;

    public static InfrastructureSelection From(IConfiguration configuration)
    {
        if (configuration[Setting] is { Length: > 0 } configured)
        {
            return Enum.TryParse<InfrastructureProvider>(configured, ignoreCase: true, out var provider) && Enum.IsDefined(provider)
                && !char.IsAsciiDigit(configured[0])
                ? new InfrastructureSelection(provider, $"{Setting} is {provider}")
                : throw new InvalidOperationException($"{Setting} must be Aws or Local, not '{configured}'.");
        }

        return string.IsNullOrWhiteSpace(configuration["Aws:PlatformAccountId"])
            ? new InfrastructureSelection(InfrastructureProvider.Local, "no AWS platform account is configured (Aws:PlatformAccountId)")
            : new InfrastructureSelection(InfrastructureProvider.Aws, "an AWS platform account is configured");
    }
}

/// <summary>Bound from "Local": the Docker engine the Local provider drives and the limits of what it runs there.</summary>
public sealed class LocalOptions
{
    public const string Section = "Local";

    /// <summary>This machine's Docker engine. The org hosts bind-mount directories of this machine, so it must be local.</summary>
    public string DockerEndpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>The org host image: Debian with sudo and a <c>dev</c> login (built by ops/lib/images.sh).</summary>
    public string HostImage { get; set; } = "envforge/debian:bookworm";

    public long HostMemoryBytes { get; set; } = 1024L * 1024 * 1024;

    public long HostPidsLimit { get; set; } = 1024;

    public long ServiceMemoryBytes { get; set; } = 256L * 1024 * 1024;

    public long ServicePidsLimit { get; set; } = 256;

    /// <summary>The non-root user every service runs as (the host image's <c>dev</c> ids).</summary>
    public string ServiceUser { get; set; } = "1000:1000";

    /// <summary>How long a started service has to answer its health check (or accept connections) before the wake fails.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the gateway trusts a looked-up service address before asking the engine again.</summary>
    public TimeSpan AddressLifetime { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The Local provider's names: one network and one host per org, one container per service, all labelled.</summary>
public static class LocalNames
{
    /// <summary>The placement region of every Local workspace (the gateway and the hosts tell Local placements by it).</summary>
    public const string Region = "local";

    public const string OrgLabel = "envforge.org";
    public const string RoleLabel = "envforge.role";
    public const string WorkspaceLabel = "envforge.workspace";
    public const string ServiceLabel = "envforge.service";

    public static string Network(Guid orgId) => $"envforge-org-{orgId:N}";

    /// <summary>The org's host container; also the workspace's placement (its "instance id"), one org per host by name.</summary>
    public static string Host(Guid orgId) => $"envforge-host-{orgId:N}";

    public static string Service(Guid workspaceId, string service) => $"envforge-{workspaceId:N}-{service}";

    /// <summary>Inside the host, an org's checkouts live under <c>/workspaces/{workspaceId:N}</c>.</summary>
    public const string HostWorkspaces = "/workspaces";
}

/// <summary>Where the Local provider keeps files of this machine: under the data directory, never in the database.</summary>
public sealed class LocalPaths(string dataDirectory)
{
    public string Root { get; } = Path.Combine(dataDirectory, "local");

    public string OrgWorkspaces(Guid orgId) => Path.Combine(Root, "orgs", orgId.ToString("N"), "workspaces");

    public string Checkout(Guid orgId, Guid workspaceId) => Path.Combine(OrgWorkspaces(orgId), workspaceId.ToString("N"));

    public string Secrets(Guid orgId) => Path.Combine(Root, "secrets", orgId.ToString("N"));

    public string RepositoryMirrors => Path.Combine(Root, "repos");
}
