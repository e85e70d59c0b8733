using EnvForge.Workflows.Infrastructure;

namespace EnvForge.Workflows.Wallet;

/// <summary>How the API, the webhook and the meter drive the wallet's workflows: top-ups and refunds.</summary>
public interface IWalletWorkflows
{
    /// <summary>Null when workflows can run; otherwise a reason safe to show the caller (the endpoint answers 503).</summary>
    string? UnavailableReason { get; }

    /// <summary>Starts a top-up's workflow; a retried start is a no-op.</summary>
    Task StartTopUpAsync(TopUpInput input, CancellationToken ct);

    /// <summary>The webhook recorded Stripe's answer about a top-up: its workflow looks now (it would at its deadline anyway).</summary>
    Task StripeAnsweredAsync(Guid topUpId, CancellationToken ct);

    Task StartRefundAsync(RefundInput input, CancellationToken ct);
}

/// <summary>The Temporal implementation: workflow ids derive from the top-up and refund ids.</summary>
public sealed class WalletWorkflows(TemporalRuntime temporal) : IWalletWorkflows
{
    public string? UnavailableReason => temporal.WhyUnavailable;

    public Task StartTopUpAsync(TopUpInput input, CancellationToken ct) =>
        temporal.StartOnceAsync((WalletTopUpWorkflow wf) => wf.RunAsync(input), TopUpInput.WorkflowId(input.TopUpId), ct);

    public Task StripeAnsweredAsync(Guid topUpId, CancellationToken ct) =>
        temporal.SignalAsync<WalletTopUpWorkflow>(TopUpInput.WorkflowId(topUpId), wf => wf.StripeAnsweredAsync(), ct);

    public Task StartRefundAsync(RefundInput input, CancellationToken ct) =>
        temporal.StartOnceAsync((WalletRefundWorkflow wf) => wf.RunAsync(input), RefundInput.WorkflowId(input.RefundId), ct);
}
