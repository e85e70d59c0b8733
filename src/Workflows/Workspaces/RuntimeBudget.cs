namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// The wallet's answer to "can this org pay for the minimum runtime period?", asked before provisioning and wake.
/// Until the wallet capability exists, <see cref="UnmeteredRuntimeBudget"/> answers yes; the wallet replaces it by
/// registering its own implementation (README, "Workspaces: balance check").
/// </summary>
public interface IRuntimeBudget
{
    Task<bool> CanAffordMinimumRuntimeAsync(Guid orgId, CancellationToken ct);
}

public sealed class UnmeteredRuntimeBudget : IRuntimeBudget
{
    public Task<bool> CanAffordMinimumRuntimeAsync(Guid orgId, CancellationToken ct) => Task.FromResult(true);
}
