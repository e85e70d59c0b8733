namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// The wallet's answer to "can this org pay for the minimum runtime period?", asked before provisioning and wake (402
/// <c>workspace.insufficient_balance</c> otherwise), before any AWS call or container start. The wallet's implementation
/// (<c>WalletRuntimeBudget</c>) is registered with the workspace workflows.
/// </summary>
public interface IRuntimeBudget
{
    Task<bool> CanAffordMinimumRuntimeAsync(Guid orgId, CancellationToken ct);
}
