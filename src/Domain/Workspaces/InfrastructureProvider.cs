namespace EnvForge.Domain.Workspaces;

/// <summary>
/// Where a workspace's infrastructure comes from, chosen per deployment and recorded on the workspace when it is created:
/// the org's own AWS account (terraform, EC2, SSM), or this machine's Docker engine (one long-lived host container per org
/// on a network of its own). Events from before providers read as <see cref="Aws"/>.
/// </summary>
public enum InfrastructureProvider
{
    Aws,
    Local,
}
