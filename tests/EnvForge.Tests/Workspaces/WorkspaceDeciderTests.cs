using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Workspaces;

public sealed class WorkspaceDeciderTests
{
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly Guid OtherOrg = Guid.CreateVersion7();
    private static readonly Guid Ws = Guid.CreateVersion7();
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly ServiceSpec[] Services = [new("web", 3000), new("api", 8080)];
    private static readonly SecretRef[] Secrets = [new("DB_PASSWORD", "/envforge/acme/db", "api")];

    private static DeciderSpecification<Workspace, IWorkspaceEvent, IWorkspaceCommand> Spec() => new(WorkspaceDecider.Decide, Workspace.Evolve);

    private static CreateWorkspace Create(bool aws = true, bool taken = false, bool afford = true, SecretRef[]? secrets = null) =>
        new(Ws, Org, "acme-dev", "https://git.example.com/acme/app", "main", Services, secrets ?? Secrets, aws, taken, afford, "dev", Now);

    private static readonly WorkspaceCreated Created = new(Ws, Org, "acme-dev", "https://git.example.com/acme/app", "main", Services, Secrets, "dev", Now);
    private static readonly ProvisioningStarted Started = new(Ws, Org, "dev", Now);

    private static ProvisioningStepCompleted Step(ProvisioningStep step) => new(Ws, Org, step, "ok", "system", Now);

    private static IWorkspaceEvent[] Verified() =>
        [Created, Started, Step(ProvisioningStep.AssumeRole), Step(ProvisioningStep.Terraform), new WorkspacePlaced(Ws, Org, "i-1", "us-east-1", "system", Now), Step(ProvisioningStep.Verify)];

    [Fact]
    public void Creating_records_services_and_secret_references() => Spec().When(Create()).Then(Created);

    [Fact]
    public void Creating_needs_a_connected_aws_account() => Spec().When(Create(aws: false)).ThenRejects("workspace.aws_not_connected");

    [Fact]
    public void Creating_with_a_taken_name_is_refused() => Spec().When(Create(taken: true)).ThenRejects("workspace.name_taken");

    [Fact]
    public void Creating_is_refused_when_the_wallet_cannot_cover_the_minimum_runtime() =>
        Spec().When(Create(afford: false)).ThenRejects("workspace.insufficient_balance");

    [Fact]
    public void A_secret_must_target_a_declared_service() =>
        Spec().When(Create(secrets: [new("TOKEN", "/envforge/x", "worker")])).ThenRejects("workspace.secret_for_unknown_service");

    [Fact]
    public void Steps_complete_in_order_and_repeats_are_no_ops()
    {
        Spec().Given(Created, Started).When(new CompleteStep(Ws, ProvisioningStep.AssumeRole, "ok", "system", Now)).Then(Step(ProvisioningStep.AssumeRole));
        Spec().Given(Created, Started, Step(ProvisioningStep.AssumeRole)).When(new CompleteStep(Ws, ProvisioningStep.AssumeRole, "ok", "system", Now)).ThenNothing();
        Spec().Given(Created, Started).When(new CompleteStep(Ws, ProvisioningStep.Verify, "ok", "system", Now)).ThenRejects("workspace.step_out_of_order");
    }

    [Fact]
    public void A_workspace_is_never_placed_on_another_orgs_vm() =>
        Spec().Given(Created, Started, Step(ProvisioningStep.AssumeRole), Step(ProvisioningStep.Terraform))
            .When(new PlaceWorkspace(Ws, "i-theirs", "us-east-1", OtherOrg, "system", Now))
            .ThenRejects("workspace.vm_of_another_org");

    [Fact]
    public void A_workspace_may_share_a_vm_of_its_own_org() =>
        Spec().Given(Created, Started, Step(ProvisioningStep.AssumeRole), Step(ProvisioningStep.Terraform))
            .When(new PlaceWorkspace(Ws, "i-ours", "us-east-1", Org, "system", Now))
            .Then(new WorkspacePlaced(Ws, Org, "i-ours", "us-east-1", "system", Now));

    [Fact]
    public void Ready_needs_verification_and_placement()
    {
        Spec().Given(Created, Started).When(new MarkReady(Ws, ["ec2"], "system", Now)).ThenRejects("workspace.not_verified");
        Spec().Given(Verified()).When(new MarkReady(Ws, ["ec2"], "system", Now)).Then(new WorkspaceReady(Ws, Org, ["ec2"], "system", Now));
    }

    [Fact]
    public void A_failure_is_recorded_once_with_its_step_and_reason()
    {
        Spec().Given(Created, Started).When(new FailProvisioning(Ws, ProvisioningStep.Terraform, "boom", "system", Now))
            .Then(new ProvisioningFailed(Ws, Org, ProvisioningStep.Terraform, "boom", "system", Now));
        Spec().Given(Created, Started, new ProvisioningFailed(Ws, Org, ProvisioningStep.Terraform, "boom", "system", Now))
            .When(new FailProvisioning(Ws, ProvisioningStep.Terraform, "boom", "system", Now)).ThenNothing();
    }

    [Fact]
    public void Cancelling_a_ready_workspace_is_refused() =>
        Spec().Given([.. Verified(), new WorkspaceReady(Ws, Org, [], "system", Now)]).When(new CancelProvisioning(Ws, "dev", Now))
            .ThenRejects("workspace.wrong_state");

    [Fact]
    public void Destroyed_resources_are_recorded_once()
    {
        Spec().Given(Created, Started).When(new RecordResourcesDestroyed(Ws, "0 destroyed", "system", Now))
            .Then(new WorkspaceResourcesDestroyed(Ws, Org, "0 destroyed", "system", Now));
        Spec().Given(Created, Started, new WorkspaceResourcesDestroyed(Ws, Org, "x", "system", Now))
            .When(new RecordResourcesDestroyed(Ws, "0 destroyed", "system", Now)).ThenNothing();
    }

    [Fact]
    public void Wake_and_sleep_follow_the_runtime_state()
    {
        IWorkspaceEvent[] ready = [.. Verified(), new WorkspaceReady(Ws, Org, [], "system", Now), new WorkspaceSlept(Ws, Org, "idle", "system", Now)];
        Spec().Given(ready).When(new Wake(Ws, WakeTrigger.DevUrl, ["DB_PASSWORD"], true, "system", Now))
            .Then(new WorkspaceWoke(Ws, Org, WakeTrigger.DevUrl, ["DB_PASSWORD"], "system", Now));
        Spec().Given(ready).When(new Wake(Ws, WakeTrigger.Test, [], false, "system", Now)).ThenRejects("workspace.insufficient_balance");
        Spec().Given(ready).When(new Sleep(Ws, "idle", "system", Now)).ThenNothing();
        Spec().Given(Created).When(new Wake(Ws, WakeTrigger.Api, [], true, "dev", Now)).ThenRejects("workspace.wrong_state");
    }
}
