using System.Collections.Concurrent;
using EnvForge.Workflows.Wallet;

namespace EnvForge.Tests.Wallet;

/// <summary>Stand-in for a Temporal server (none can run here): records the wallet workflows started and signalled.</summary>
public sealed class RecordingWalletWorkflows : IWalletWorkflows
{
    public ConcurrentQueue<TopUpInput> TopUps { get; } = new();

    public ConcurrentQueue<Guid> StripeAnswers { get; } = new();

    public ConcurrentQueue<RefundInput> Refunds { get; } = new();

    public string? UnavailableReason { get; set; }

    public Task StartTopUpAsync(TopUpInput input, CancellationToken ct)
    {
        TopUps.Enqueue(input);
        return Task.CompletedTask;
    }

    public Task StripeAnsweredAsync(Guid topUpId, CancellationToken ct)
    {
        StripeAnswers.Enqueue(topUpId);
        return Task.CompletedTask;
    }

    public Task StartRefundAsync(RefundInput input, CancellationToken ct)
    {
        Refunds.Enqueue(input);
        return Task.CompletedTask;
    }
}
