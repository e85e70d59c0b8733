using System.Text.RegularExpressions;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Audit;

/// <summary>The README's table of action codes is the catalog's, and wallet events are described, never leaking Stripe's customer.</summary>
public sealed partial class AuditCatalogTests
{
    [Fact]
    public void The_readme_lists_every_action_code_and_no_other()
    {
        var readme = File.ReadAllText(Path.Combine(ApiProcess.RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("<!-- audit-codes", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- /audit-codes -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md has no audit-codes table");

        var listed = CodeCell().Matches(readme[start..end]).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Equal(AuditCatalog.KnownActions.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Wallet_events_get_their_target_amounts_and_outcome_and_no_payment_method()
    {
        var wallet = Guid.NewGuid();
        var topUp = Guid.NewGuid();
        var credited = AuditCatalog.Of(
            new WalletCredited(wallet, Guid.NewGuid(), topUp, "pi_1", 2500, 7500, "evt_1", "webhook:stripe", DateTimeOffset.UnixEpoch),
            "wallet.credited.v1", wallet, _ => null);
        Assert.Equal(("wallet.credited", AuditOutcomes.Success, "top_up", topUp.ToString("D")), (credited.Action, credited.Outcome, credited.TargetType, credited.TargetId));
        Assert.Equal(("2500", "7500"), (credited.Detail["amount"], credited.Detail["balanceAfter"]));

        var failed = AuditCatalog.Of(new TopUpFailed(wallet, Guid.NewGuid(), topUp, "card_declined", null, "system:wallet", DateTimeOffset.UnixEpoch), "wallet.top_up_failed.v1", wallet, _ => null);
        Assert.Equal((AuditOutcomes.Failed, "card_declined"), (failed.Outcome, failed.Detail["reason"]));

        var method = AuditCatalog.Of(new PaymentMethodSet(wallet, Guid.NewGuid(), "cus_secretish", "pm_card", "alice", DateTimeOffset.UnixEpoch), "wallet.payment_method_set.v1", wallet, _ => null);
        Assert.Empty(method.Detail);
    }

    [GeneratedRegex(@"^\| `([a-z_.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex CodeCell();
}
