namespace EnvForge.Domain.Workspaces;

public enum WorkspaceStatus
{
    Requested,
    Provisioning,
    Ready,
    Failed,
    Cancelled,
    Destroying,
    Destroyed,
}

public sealed record Placement(string InstanceId, string Region);

/// <summary>The state of one Workspace stream.</summary>
public sealed record Workspace(
    Guid Id, Guid OrgId, string Name, string Repository, string Branch, IReadOnlyList<ServiceSpec> Services, IReadOnlyList<SecretRef> Secrets)
{
    public WorkspaceStatus Status { get; init; } = WorkspaceStatus.Requested;

    /// <summary>The step running now, or the step that failed.</summary>
    public ProvisioningStep? Step { get; init; }

    public IReadOnlyList<ProvisioningStep> CompletedSteps { get; init; } = [];

    public Placement? Placement { get; init; }

    public bool Awake { get; init; }

    public WakeTrigger? LastWakeTrigger { get; init; }

    public string? FailureReason { get; init; }

    public bool ResourcesDestroyed { get; init; }

    /// <summary>The commit its declaration was read at (envforge.yml), when it came from the repository.</summary>
    public string? Commit { get; init; }

    public InfrastructureProvider Provider { get; init; } = InfrastructureProvider.Aws;

    public bool IsLive => Status is not (WorkspaceStatus.Destroyed or WorkspaceStatus.Cancelled);

    public static Workspace? Evolve(Workspace? state, IWorkspaceEvent @event) => @event switch
    {
        WorkspaceCreated e => new Workspace(e.WorkspaceId, e.OrgId, e.Name, e.Repository, e.Branch, e.Services, e.Secrets)
        {
            Commit = e.Commit,
            Provider = e.Provider,
        },
        ProvisioningStarted => state! with { Status = WorkspaceStatus.Provisioning, Step = ProvisioningStep.AssumeRole },
        ProvisioningStepCompleted e => state! with
        {
            CompletedSteps = [.. state.CompletedSteps, e.Step],
            Step = e.Step == ProvisioningStep.Verify ? null : e.Step + 1,
        },
        WorkspacePlaced e => state! with { Placement = new Placement(e.InstanceId, e.Region) },
        // Ready means verified infrastructure; services start on the first wake.
        WorkspaceReady => state! with { Status = WorkspaceStatus.Ready, Step = null, Awake = false },
        ProvisioningFailed e => state! with { Status = WorkspaceStatus.Failed, Step = e.Step, FailureReason = e.Reason, Awake = false },
        ProvisioningCancelled => state! with { Status = WorkspaceStatus.Cancelled, Awake = false },
        WorkspaceDestroyRequested => state! with { Status = WorkspaceStatus.Destroying, Awake = false },
        WorkspaceResourcesDestroyed => state! with
        {
            ResourcesDestroyed = true,
            Placement = null,
            Status = state.Status == WorkspaceStatus.Destroying ? WorkspaceStatus.Destroyed : state.Status,
        },
        WorkspaceWoke e => state! with { Awake = true, LastWakeTrigger = e.Trigger },
        WorkspaceSlept => state! with { Awake = false },
        _ => state,
    };
}
