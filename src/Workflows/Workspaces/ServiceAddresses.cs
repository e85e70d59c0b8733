namespace EnvForge.Workflows.Workspaces;

/// <summary>One service of one workspace, as the gateway knows it from its directory.</summary>
public sealed record ServiceTarget(Guid WorkspaceId, Guid OrgId, string? InstanceId, string? Region, string Service, int Port);

/// <summary>
/// Where a workspace's service listens, as the gateway reaches it, answered by the deployment's provider. Null means the
/// provider has no address of its own for it: the gateway then builds one from <c>Gateway:UpstreamTemplate</c>, which is
/// how services on AWS hosts are reached (and what <see cref="UpstreamTemplateAddresses"/>, the default, always answers).
/// </summary>
public interface IServiceAddresses
{
    ValueTask<Uri?> UpstreamAsync(ServiceTarget target, CancellationToken ct);
}

/// <summary>AWS hosts: the gateway's <c>Gateway:UpstreamTemplate</c> says how services are reached.</summary>
public sealed class UpstreamTemplateAddresses : IServiceAddresses
{
    public ValueTask<Uri?> UpstreamAsync(ServiceTarget target, CancellationToken ct) => ValueTask.FromResult<Uri?>(null);
}
