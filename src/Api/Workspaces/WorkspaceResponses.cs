using EnvForge.Domain.Workspaces;

namespace EnvForge.Api.Workspaces;

public sealed record SecretResponse(string Name, string SsmPath, string Service);

/// <summary>What the API reports of a workspace: the truth of its stream, secret names and paths only.</summary>
public sealed record WorkspaceResponse(
    Guid Id, Guid OrgId, string Name, string Repository, string Branch, WorkspaceStatus Status, ProvisioningStep? Step,
    IReadOnlyList<ProvisioningStep> CompletedSteps, string? InstanceId, string? Region, bool Awake, WakeTrigger? LastWakeTrigger,
    string? FailureReason, bool ResourcesDestroyed, IReadOnlyList<ServiceSpec> Services, IReadOnlyList<SecretResponse> Secrets)
{
    /// <summary>Where it is provisioned: Aws (the org's account) or Local (this machine's Docker engine).</summary>
    public InfrastructureProvider Provider { get; init; }

    /// <summary>The commit its declaration was read at (envforge.yml), when it came from the repository.</summary>
    public string? Commit { get; init; }

    public static WorkspaceResponse From(Workspace w) => new(
        w.Id, w.OrgId, w.Name, w.Repository, w.Branch, w.Status, w.Step, w.CompletedSteps, w.Placement?.InstanceId, w.Placement?.Region,
        w.Awake, w.LastWakeTrigger, w.FailureReason, w.ResourcesDestroyed, w.Services,
        w.Secrets.Select(s => new SecretResponse(s.Name, s.SsmPath, s.Service)).ToList())
    {
        Provider = w.Provider,
        Commit = w.Commit,
    };
}
