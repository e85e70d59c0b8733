namespace EnvForge.Domain.Workspaces;

public interface IWorkspaceCommand
{
    Guid WorkspaceId { get; }

    string Actor { get; }

    DateTimeOffset Now { get; }
}

/// <param name="AwsConnected">Whether the org has an AWS connection now.</param>
/// <param name="NameTaken">Whether another live workspace of the org has this name (from the directory).</param>
/// <param name="CanAffordRuntime">The wallet's answer for the minimum runtime period (always true until the wallet exists).</param>
public sealed record CreateWorkspace(
    Guid WorkspaceId, Guid OrgId, string Name, string Repository, string Branch, IReadOnlyList<ServiceSpec> Services, IReadOnlyList<SecretRef> Secrets,
    bool AwsConnected, bool NameTaken, bool CanAffordRuntime, string Actor, DateTimeOffset Now) : IWorkspaceCommand
{
    /// <summary>The commit the declaration was read at, when it came from the repository's envforge.yml.</summary>
    public string? Commit { get; init; }

    /// <summary>The deployment's provider; only <see cref="InfrastructureProvider.Aws"/> needs a connected AWS account.</summary>
    public InfrastructureProvider Provider { get; init; } = InfrastructureProvider.Aws;
}

public sealed record StartProvisioning(Guid WorkspaceId, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record CompleteStep(Guid WorkspaceId, ProvisioningStep Step, string Summary, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

/// <param name="InstanceOwnerOrgId">The org the VM is registered to, or null when the VM is new to EnvForge.</param>
public sealed record PlaceWorkspace(Guid WorkspaceId, string InstanceId, string Region, Guid? InstanceOwnerOrgId, string Actor, DateTimeOffset Now)
    : IWorkspaceCommand;

public sealed record MarkReady(Guid WorkspaceId, IReadOnlyList<string> VerifiedChecks, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record FailProvisioning(Guid WorkspaceId, ProvisioningStep Step, string Reason, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record CancelProvisioning(Guid WorkspaceId, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record RecordResourcesDestroyed(Guid WorkspaceId, string Summary, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record RequestDestroy(Guid WorkspaceId, string Actor, DateTimeOffset Now) : IWorkspaceCommand;

public sealed record Wake(Guid WorkspaceId, WakeTrigger Trigger, IReadOnlyList<string> SecretsInjected, bool CanAffordRuntime, string Actor, DateTimeOffset Now)
    : IWorkspaceCommand;

public sealed record Sleep(Guid WorkspaceId, string Reason, string Actor, DateTimeOffset Now) : IWorkspaceCommand;
