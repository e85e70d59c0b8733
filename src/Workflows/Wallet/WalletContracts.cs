using EnvForge.Domain.Wallet;

namespace EnvForge.Workflows.Wallet;

/// <summary>Input of one top-up's workflow. Workflow id: <c>wallet-top-up-{TopUpId}</c>. Ids and the deadline only; the amount is on the stream.</summary>
public sealed record TopUpInput(Guid OrgId, Guid TopUpId, DateTime Deadline, bool Automatic = false)
{
    public static string WorkflowId(Guid topUpId) => $"wallet-top-up-{topUpId}";
}

public enum TopUpOutcome
{
    /// <summary>Not (yet) on the wallet: the request that started the workflow was never recorded. Nothing was charged.</summary>
    NotRequested,

    /// <summary>Stripe has the payment; its word (webhook or the deadline's check) is awaited.</summary>
    Pending,

    Credited,

    Failed,
}

/// <summary>What a top-up activity found (and left) on the wallet.</summary>
public sealed record TopUpProgress(TopUpOutcome Outcome, string? PaymentIntentId = null, string? Reason = null);

/// <summary>Input of one refund's workflow. Workflow id: <c>wallet-refund-{RefundId}</c>.</summary>
public sealed record RefundInput(Guid OrgId, Guid RefundId, Guid TopUpId)
{
    public static string WorkflowId(Guid refundId) => $"wallet-refund-{refundId}";
}

public sealed record RefundProgress(RefundStatus? Status, string? Reason = null);

/// <summary>
/// What the runtime meter bought: whether any minute was granted and until when the awake period is paid. Not granted:
/// the wallet cannot pay one more minute, and the runtime workflow puts the workspace to sleep.
/// </summary>
public sealed record RuntimeBlock(bool Granted, DateTime PaidUntil, int Minutes);
