using EnvForge.Domain.Workspaces;

namespace EnvForge.Workflows.Workspaces;

/// <summary>Input of the provisioning workflow; ids only. Workflow id: <c>workspace-provision-{WorkspaceId}</c>.</summary>
public sealed record ProvisionWorkspaceInput(Guid WorkspaceId, Guid OrgId, string RequestedBy)
{
    public static string WorkflowId(Guid workspaceId) => $"workspace-provision-{workspaceId}";
}

public enum ProvisionOutcome
{
    Ready,
    Failed,
    Cancelled,
}

public sealed record ProvisionWorkspaceResult(ProvisionOutcome Outcome, ProvisioningStep? FailedStep, string? Reason);

/// <summary>What the workflow knows of the role session: never the credentials themselves, which stay inside activities.</summary>
public sealed record RoleCheck(string SessionName, DateTimeOffset ExpiresAt);

/// <summary>Secret-free result of terraform apply: resources and output names, and the instances it reported.</summary>
public sealed record TerraformApplied(IReadOnlyList<string> InstanceIds, string Region, string Summary);

public sealed record Verified(IReadOnlyList<string> Checks);

/// <summary>
/// The provider's provisioning activities, registered on the worker: <see cref="ProvisioningActivities"/> (AWS) or the Local
/// provider's, which carry the same activity names, arguments and results, so one workflow and its histories serve both.
/// </summary>
public interface IProvisioningActivities;
