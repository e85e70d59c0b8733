using EnvForge.Domain.Common;

namespace EnvForge.Domain.Workspaces;

/// <summary>Decisions on a Workspace stream. Steps arrive from the provisioning workflow; repeats of a step are no-ops.</summary>
public static class WorkspaceDecider
{
    /// <summary>The stream's decisions as one value, for the API's and the activities' command paths.</summary>
    public static Decider<IWorkspaceCommand, Workspace> Decider { get; } = new(Decide, (state, e) => e is IWorkspaceEvent typed ? Workspace.Evolve(state, typed) : state);

    public const int MaxServices = 20;
    public const int MaxSecrets = 50;

    public static Decision Decide(IWorkspaceCommand command, Workspace? state) => command switch
    {
        CreateWorkspace c => Create(c, state),
        _ when state is null => WorkspaceRejections.NotFound,
        StartProvisioning c => state.Status == WorkspaceStatus.Requested
            ? Decision.Accept(new ProvisioningStarted(state.Id, state.OrgId, c.Actor, c.Now))
            : state.Status == WorkspaceStatus.Provisioning ? Decision.None : WorkspaceRejections.WrongState(state.Status, "start provisioning"),
        CompleteStep c => CompleteStep(c, state),
        PlaceWorkspace c => Place(c, state),
        MarkReady c => state.Status switch
        {
            WorkspaceStatus.Ready => Decision.None,
            WorkspaceStatus.Provisioning when state.CompletedSteps.Contains(ProvisioningStep.Verify) && state.Placement is not null =>
                Decision.Accept(new WorkspaceReady(state.Id, state.OrgId, c.VerifiedChecks, c.Actor, c.Now)),
            WorkspaceStatus.Provisioning => WorkspaceRejections.NotVerified,
            _ => WorkspaceRejections.WrongState(state.Status, "mark ready"),
        },
        FailProvisioning c => state.Status switch
        {
            WorkspaceStatus.Failed or WorkspaceStatus.Cancelled => Decision.None,
            WorkspaceStatus.Provisioning or WorkspaceStatus.Requested =>
                Decision.Accept(new ProvisioningFailed(state.Id, state.OrgId, c.Step, c.Reason, c.Actor, c.Now)),
            _ => WorkspaceRejections.WrongState(state.Status, "fail provisioning"),
        },
        CancelProvisioning c => state.Status switch
        {
            WorkspaceStatus.Cancelled => Decision.None,
            WorkspaceStatus.Requested or WorkspaceStatus.Provisioning =>
                Decision.Accept(new ProvisioningCancelled(state.Id, state.OrgId, c.Actor, c.Now)),
            _ => WorkspaceRejections.WrongState(state.Status, "cancel provisioning"),
        },
        RecordResourcesDestroyed c => state.ResourcesDestroyed
            ? Decision.None
            : Decision.Accept(new WorkspaceResourcesDestroyed(state.Id, state.OrgId, c.Summary, c.Actor, c.Now)),
        RequestDestroy c => state.Status switch
        {
            WorkspaceStatus.Destroying or WorkspaceStatus.Destroyed => Decision.None,
            WorkspaceStatus.Provisioning or WorkspaceStatus.Requested => WorkspaceRejections.StillProvisioning,
            _ => Decision.Accept(new WorkspaceDestroyRequested(state.Id, state.OrgId, c.Actor, c.Now)),
        },
        Wake c => Wake(c, state),
        Sleep c => state.Awake ? Decision.Accept(new WorkspaceSlept(state.Id, state.OrgId, c.Reason, c.Actor, c.Now)) : Decision.None,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown workspace command"),
    };

    private static Decision Create(CreateWorkspace c, Workspace? state)
    {
        if (state is not null)
        {
            return WorkspaceRejections.AlreadyExists;
        }

        if (c.Provider == InfrastructureProvider.Aws && !c.AwsConnected)
        {
            return WorkspaceRejections.AwsNotConnected;
        }

        if (c.NameTaken)
        {
            return WorkspaceRejections.NameTaken(c.Name);
        }

        if (!c.CanAffordRuntime)
        {
            return WorkspaceRejections.InsufficientBalance;
        }

        if (c.Secrets.FirstOrDefault(s => c.Services.All(svc => svc.Name != s.Service)) is { } orphan)
        {
            return WorkspaceRejections.SecretForUnknownService(orphan.Name, orphan.Service);
        }

        return Decision.Accept(new WorkspaceCreated(c.WorkspaceId, c.OrgId, c.Name, c.Repository, c.Branch, c.Services, c.Secrets, c.Actor, c.Now)
        {
            Commit = c.Commit,
            Provider = c.Provider,
        });
    }

    private static Decision CompleteStep(CompleteStep c, Workspace state)
    {
        if (state.CompletedSteps.Contains(c.Step))
        {
            return Decision.None; // a retried activity reporting the same step again
        }

        if (state.Status != WorkspaceStatus.Provisioning)
        {
            return WorkspaceRejections.WrongState(state.Status, $"complete {c.Step}");
        }

        return state.Step == c.Step
            ? Decision.Accept(new ProvisioningStepCompleted(state.Id, state.OrgId, c.Step, c.Summary, c.Actor, c.Now))
            : WorkspaceRejections.OutOfOrder(c.Step, state.Step);
    }

    /// <summary>WorkspaceNeverOnAnotherOrgsVm: a runtime VM belongs to exactly one organization.</summary>
    private static Decision Place(PlaceWorkspace c, Workspace state)
    {
        if (c.InstanceOwnerOrgId is { } owner && owner != state.OrgId)
        {
            return WorkspaceRejections.VmOfAnotherOrg;
        }

        if (state.Placement is { } current)
        {
            return current.InstanceId == c.InstanceId ? Decision.None : WorkspaceRejections.AlreadyPlaced;
        }

        return state.Status == WorkspaceStatus.Provisioning
            ? Decision.Accept(new WorkspacePlaced(state.Id, state.OrgId, c.InstanceId, c.Region, c.Actor, c.Now))
            : WorkspaceRejections.WrongState(state.Status, "place");
    }

    private static Decision Wake(Wake c, Workspace state)
    {
        if (state.Status != WorkspaceStatus.Ready)
        {
            return WorkspaceRejections.WrongState(state.Status, "wake");
        }

        if (state.Awake)
        {
            return Decision.None;
        }

        return c.CanAffordRuntime
            ? Decision.Accept(new WorkspaceWoke(state.Id, state.OrgId, c.Trigger, c.SecretsInjected, c.Actor, c.Now))
            : WorkspaceRejections.InsufficientBalance;
    }
}

public static class WorkspaceRejections
{
    public static readonly Rejection NotFound = new("workspace.not_found", "The workspace does not exist.", RejectionKind.NotFound);

    public static readonly Rejection AlreadyExists = new("workspace.already_exists", "A workspace with this id already exists.", RejectionKind.Conflict);

    public static readonly Rejection AwsNotConnected = new(
        "workspace.aws_not_connected", "Connect the organization's AWS account before creating workspaces.", RejectionKind.Conflict);

    public static readonly Rejection InsufficientBalance = new(
        "workspace.insufficient_balance", "The organization's wallet cannot cover the minimum runtime period; top it up first.", RejectionKind.PaymentRequired);

    public static readonly Rejection VmOfAnotherOrg = new(
        "workspace.vm_of_another_org", "That runtime VM belongs to another organization; a workspace is never placed on it.", RejectionKind.Unprocessable);

    public static readonly Rejection AlreadyPlaced = new("workspace.already_placed", "The workspace is already placed on another VM.", RejectionKind.Conflict);

    public static readonly Rejection NotVerified = new("workspace.not_verified", "The workspace has not passed verification.", RejectionKind.Conflict);

    public static readonly Rejection StillProvisioning = new(
        "workspace.still_provisioning", "The workspace is still provisioning; cancel it instead.", RejectionKind.Conflict);

    public static Rejection NameTaken(string name) =>
        new("workspace.name_taken", $"The organization already has a workspace named '{name}'.", RejectionKind.Conflict);

    public static Rejection SecretForUnknownService(string secret, string service) =>
        new("workspace.secret_for_unknown_service", $"Secret '{secret}' targets service '{service}', which is not declared.", RejectionKind.Unprocessable);

    public static Rejection WrongState(WorkspaceStatus status, string action) =>
        new("workspace.wrong_state", $"Cannot {action} a workspace that is {status}.", RejectionKind.Conflict);

    public static Rejection OutOfOrder(ProvisioningStep step, ProvisioningStep? expected) =>
        new("workspace.step_out_of_order", $"{step} cannot complete before {expected}.", RejectionKind.Conflict);
}
