using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Wallet;

namespace EnvForge.Api.Wallet;

public sealed record PaymentMethodResponse(string CustomerId, string PaymentMethodId);

/// <summary>The balance and the wallet's terms. <see cref="Version"/> is the stream version (also the ETag).</summary>
public sealed record WalletResponse(
    Guid OrgId, Guid WalletId, bool Open, string? Currency, long Balance, long RatePerServiceMinute, bool RateIsDefault, int MinimumRuntimeMinutes,
    bool CoversMinimumRuntime, AutoTopUpSettings? AutoTopUp, PaymentMethodResponse? PaymentMethod, long LastTopUpAmount, IReadOnlyList<int> ThresholdsCrossed,
    int AwakeWorkspaces, long Version)
{
    public static WalletResponse From(Guid orgId, OrgWallet? wallet, long version, long defaultRate, int minimumMinutes)
    {
        var rate = wallet?.RatePerServiceMinute ?? defaultRate;
        var balance = wallet?.Balance ?? 0;
        return new WalletResponse(
            orgId, WalletIds.For(orgId), wallet is not null, wallet?.Currency, balance, rate, wallet?.RatePerServiceMinute is null, minimumMinutes,
            wallet is not null && balance >= rate * minimumMinutes, wallet?.AutoTopUp,
            wallet?.PaymentMethod is { } m ? new PaymentMethodResponse(m.CustomerId, m.PaymentMethodId) : null, wallet?.LastTopUpAmount ?? 0,
            wallet?.ThresholdsCrossed ?? [], wallet?.Meters.Count ?? 0, version);
    }
}

public sealed record TopUpPage(IReadOnlyList<TopUpRecord> Items, string? NextCursor)
{
    public static TopUpPage From(Page<TopUpRecord> page) => new(page.Items, page.NextCursor);
}

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, string? NextCursor);

public sealed record UsagePage(IReadOnlyList<UsageReceipt> Items, string? NextCursor);

/// <summary>What a top-up or refund request started: its id, and the wallet after the request.</summary>
public sealed record TopUpAccepted(Guid TopUpId, long Amount, string Currency, TopUpStatus Status, long Balance);

public sealed record RefundAccepted(Guid RefundId, Guid TopUpId, long Amount, RefundStatus Status, long Balance);

/// <summary>The webhook's answer: Stripe only needs the 2xx; the outcome helps whoever reads Stripe's delivery log.</summary>
public sealed record WebhookAnswer(bool Received, string Outcome);
