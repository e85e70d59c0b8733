using EnvForge.Domain.Common;

namespace EnvForge.Domain.Workspaces;

/// <summary>The closed family of events on a Workspace stream. Secret inputs appear by name and SSM path only.</summary>
public interface IWorkspaceEvent : IDomainEvent
{
    Guid WorkspaceId { get; }
}

/// <summary>
/// What a service is. Only <see cref="App"/> services can be opened through a dev link; every other kind is private to the
/// workspace (a console, a database, mail, storage, an admin tool or a shell is never published to a reviewer).
/// </summary>
public enum ServiceKind
{
    App,
    Console,
    Database,
    Mail,
    Storage,
    Admin,
    Shell,
}

/// <summary>A declared service: its name, the port it listens on, and its kind (events from before kinds read as <see cref="ServiceKind.App"/>).</summary>
public sealed record ServiceSpec(string Name, int Port)
{
    public ServiceKind Kind { get; init; } = ServiceKind.App;
}

/// <summary>A declared secret input: the env var name a service sees, and the SSM SecureString path it comes from.</summary>
public sealed record SecretRef(string Name, string SsmPath, string Service);

public enum ProvisioningStep
{
    AssumeRole,
    Terraform,
    Verify,
}

public enum WakeTrigger
{
    DevUrl,
    Test,
    ServiceCommand,
    AgentJob,
    Api,
}

[EventName("workspace.created.v1")]
public sealed record WorkspaceCreated(
    Guid WorkspaceId, Guid OrgId, string Name, string Repository, string Branch,
    IReadOnlyList<ServiceSpec> Services, IReadOnlyList<SecretRef> Secrets, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    /// <summary>The commit the declaration was read at (envforge.yml), when it was read from the repository.</summary>
    public string? Commit { get; init; }

    /// <summary>The provider the workspace is provisioned by (events from before providers read as Aws).</summary>
    public InfrastructureProvider Provider { get; init; } = InfrastructureProvider.Aws;

    public string Describe() => $"created workspace '{Name}' from {Repository}@{Branch}" + (Commit is null ? string.Empty : $" ({Commit})");
}

[EventName("workspace.provisioning_started.v1")]
public sealed record ProvisioningStarted(Guid WorkspaceId, Guid OrgId, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => "started provisioning";
}

/// <summary>One step done, with a short secret-free summary (for Terraform: resource counts and output names).</summary>
[EventName("workspace.provisioning_step_completed.v1")]
public sealed record ProvisioningStepCompleted(Guid WorkspaceId, Guid OrgId, ProvisioningStep Step, string Summary, string Actor, DateTimeOffset At)
    : IWorkspaceEvent
{
    public string Describe() => $"{Step} completed: {Summary}";
}

/// <summary>The runtime VM chosen for the workspace; it belongs to the workspace's org and no other.</summary>
[EventName("workspace.placed.v1")]
public sealed record WorkspacePlaced(Guid WorkspaceId, Guid OrgId, string InstanceId, string Region, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => $"placed on {InstanceId} ({Region})";
}

[EventName("workspace.ready.v1")]
public sealed record WorkspaceReady(Guid WorkspaceId, Guid OrgId, IReadOnlyList<string> VerifiedChecks, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => $"ready ({string.Join(", ", VerifiedChecks)})";
}

[EventName("workspace.provisioning_failed.v1")]
public sealed record ProvisioningFailed(Guid WorkspaceId, Guid OrgId, ProvisioningStep Step, string Reason, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => $"provisioning failed at {Step}: {Reason}";
}

[EventName("workspace.provisioning_cancelled.v1")]
public sealed record ProvisioningCancelled(Guid WorkspaceId, Guid OrgId, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => "provisioning cancelled";
}

/// <summary>Whatever provisioning created was destroyed again (after a failure or a cancel, or on request).</summary>
[EventName("workspace.resources_destroyed.v1")]
public sealed record WorkspaceResourcesDestroyed(Guid WorkspaceId, Guid OrgId, string Summary, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => $"resources destroyed: {Summary}";
}

[EventName("workspace.destroy_requested.v1")]
public sealed record WorkspaceDestroyRequested(Guid WorkspaceId, Guid OrgId, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => "destroy requested";
}

[EventName("workspace.woke.v1")]
public sealed record WorkspaceWoke(Guid WorkspaceId, Guid OrgId, WakeTrigger Trigger, IReadOnlyList<string> SecretsInjected, string Actor, DateTimeOffset At)
    : IWorkspaceEvent
{
    public string Describe() => $"woke on {Trigger}" + (SecretsInjected.Count > 0 ? $", injected {string.Join(", ", SecretsInjected)}" : string.Empty);
}

[EventName("workspace.slept.v1")]
public sealed record WorkspaceSlept(Guid WorkspaceId, Guid OrgId, string Reason, string Actor, DateTimeOffset At) : IWorkspaceEvent
{
    public string Describe() => $"went to sleep ({Reason})";
}
