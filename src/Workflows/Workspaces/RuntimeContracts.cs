using EnvForge.Domain.Workspaces;

namespace EnvForge.Workflows.Workspaces;

/// <summary>Input of the runtime workflow. Workflow id: <c>workspace-runtime-{WorkspaceId}</c>.</summary>
public sealed record RuntimeInput(Guid WorkspaceId, Guid OrgId, TimeSpan IdleTimeout)
{
    public static string WorkflowId(Guid workspaceId) => $"workspace-runtime-{workspaceId}";
}

public sealed record RuntimeStatus(bool Awake, WakeTrigger? LastTrigger, DateTime? LastActivity, int Cycles);

/// <summary>Secret values resolved at wake. Lives only in activity memory; <see cref="ToString"/> shows names only.</summary>
public sealed class ResolvedSecrets(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> byService)
{
    /// <summary>Service name -> (env var name -> value), for the declared services only.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ByService { get; } = byService;

    public IReadOnlyList<string> Names => ByService.Values.SelectMany(v => v.Keys).Order(StringComparer.Ordinal).ToList();

    public override string ToString() => $"ResolvedSecrets({string.Join(", ", Names)})";
}

/// <summary>Reads the declared SSM SecureString parameters with the org's assumed role.</summary>
public interface ISecretResolver
{
    Task<ResolvedSecrets> ResolveAsync(Workspace workspace, CancellationToken ct);
}

/// <summary>Starts and stops a workspace's services on its runtime host, with each service's secrets in its environment only.</summary>
public interface IServiceRuntime
{
    Task StartAsync(Workspace workspace, ResolvedSecrets secrets, CancellationToken ct);

    Task StopAsync(Workspace workspace, CancellationToken ct);
}
