using System.Net;
using System.Net.Http.Json;
using EnvForge.Api.Wallet;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Wallet;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Wallet;

/// <summary>The wallet API on real PostgreSQL: who may do what, bad input refused with nothing appended, ETag and paging.</summary>
public sealed class WalletApiTests(PostgresServer postgres) : WalletHost(postgres)
{
    private async Task<Guid> FundedAsync(string name, long amount = 10_000)
    {
        var org = await OrgAsync(name);
        var topUp = await RequestTopUpAsync(org, name, amount);
        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, topUp, amount, $"pi_{topUp:N}"))).AssertStatusAsync(HttpStatusCode.OK);
        return org;
    }

    [Theory]
    [InlineData("""{"amount":0}""", "validation")]
    [InlineData("""{"amount":-5}""", "validation")]
    [InlineData("""{"amount":12.5}""", "malformed_request")]
    [InlineData("""{"amount":1e30}""", "malformed_request")]
    [InlineData("""{"amount":99999999999999999999999}""", "malformed_request")]
    [InlineData("""{"amount":100000001}""", "validation")]
    [InlineData("""{"amount":"ten"}""", "malformed_request")]
    [InlineData("""{}""", "validation")]
    [InlineData("""{"amount":100,"currency":"eur"}""", "validation")]
    [InlineData("""{"amount":100,"currency":"USD"}""", "wallet.currency_mismatch")]
    public async Task Bad_amounts_and_currencies_are_refused_and_append_nothing(string body, string code)
    {
        var org = await OrgAsync("bad");
        var version = await WalletSeed.VersionAsync(Api.Store, org);

        var response = await Api.ClientFor("bad-admin").PostRawAsync($"/orgs/{org}/wallet/top-ups", body);

        await response.AssertProblemAsync(code.StartsWith("wallet.", StringComparison.Ordinal) ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.BadRequest, code);
        Assert.Equal(version, await WalletSeed.VersionAsync(Api.Store, org));
        Assert.Empty(Workflows.TopUps);
    }

    [Fact]
    public async Task A_wallet_opens_only_in_a_currency_EnvForge_accepts()
    {
        var org = await OrgAsync("currency", open: false);
        var owner = Api.ClientFor("currency-owner");

        await (await owner.PostJsonAsync($"/orgs/{org}/wallet", new { currency = "XYZ" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "wallet.unknown_currency");
        await (await owner.PostJsonAsync($"/orgs/{org}/wallet", new { currency = "EUR" })).AssertStatusAsync(HttpStatusCode.OK);
        await (await owner.PostJsonAsync($"/orgs/{org}/wallet", new { currency = "USD" })).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "wallet.currency_mismatch");
        Assert.Equal(1, await WalletSeed.VersionAsync(Api.Store, org));
    }

    [Fact]
    public async Task Developers_cannot_top_up_strangers_see_nothing_and_only_owners_refund_or_set_the_rate()
    {
        var org = await FundedAsync("roles");
        var version = await WalletSeed.VersionAsync(Api.Store, org);
        var topUp = (await WalletSeed.LoadAsync(Api.Store, org))!.TopUps.Keys.Single();

        await (await Api.ClientFor("roles-dev").PostJsonAsync($"/orgs/{org}/wallet/top-ups", new { amount = 100 })).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("stranger").PostJsonAsync($"/orgs/{org}/wallet/top-ups", new { amount = 100 })).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await Api.ClientFor("stranger").GetAsync($"/orgs/{org}/wallet")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await Api.ClientFor("roles-dev").GetAsync($"/orgs/{org}/wallet")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("roles-admin").PostJsonAsync($"/orgs/{org}/wallet/top-ups/{topUp}/refunds", new { amount = 100 })).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("roles-admin").PutAsJsonAsync($"/orgs/{org}/wallet/rate", new { ratePerServiceMinute = 3 })).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(version, await WalletSeed.VersionAsync(Api.Store, org));

        foreach (var reader in new[] { "roles-support", "roles-auditor", "roles-admin", "roles-owner" })
        {
            await (await Api.ClientFor(reader).GetAsync($"/orgs/{org}/wallet/ledger")).AssertStatusAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task A_refund_larger_than_what_remains_is_refused_and_a_fitting_one_leaves_the_balance_at_once()
    {
        var org = await FundedAsync("refund", 10_000);
        var topUp = (await WalletSeed.LoadAsync(Api.Store, org))!.TopUps.Keys.Single();
        var owner = Api.ClientFor("refund-owner");
        var version = await WalletSeed.VersionAsync(Api.Store, org);

        await (await owner.PostJsonAsync($"/orgs/{org}/wallet/top-ups/{topUp}/refunds", new { amount = 10_001 }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "wallet.refund_exceeds_top_up");
        await (await owner.PostJsonAsync($"/orgs/{org}/wallet/top-ups/{Guid.CreateVersion7()}/refunds", new { amount = 1 }))
            .AssertProblemAsync(HttpStatusCode.NotFound, "wallet.top_up_not_found");
        Assert.Equal(version, await WalletSeed.VersionAsync(Api.Store, org));

        var accepted = await owner.PostJsonAsync($"/orgs/{org}/wallet/top-ups/{topUp}/refunds", new { amount = 4_000 });

        await accepted.AssertStatusAsync(HttpStatusCode.Accepted);
        var refund = await accepted.ReadAsync<RefundAccepted>();
        Assert.Equal(6_000, refund.Balance);
        Assert.True(Workflows.Refunds.TryDequeue(out var started));
        Assert.Equal(new Workflows.Wallet.RefundInput(org, refund.RefundId, topUp), started);
        await (await owner.PostJsonAsync($"/orgs/{org}/wallet/top-ups/{topUp}/refunds", new { amount = 6_001 }))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "wallet.refund_exceeds_top_up");
    }

    [Fact]
    public async Task Without_a_Temporal_server_a_top_up_is_503_and_appends_nothing()
    {
        var org = await OrgAsync("away");
        var version = await WalletSeed.VersionAsync(Api.Store, org);
        Workflows.UnavailableReason = "no Temporal server is configured";

        var response = await Api.ClientFor("away-owner").PostJsonAsync($"/orgs/{org}/wallet/top-ups", new { amount = 500 });

        await response.AssertProblemAsync(HttpStatusCode.ServiceUnavailable, "temporal_unavailable");
        Assert.Equal(version, await WalletSeed.VersionAsync(Api.Store, org));
    }

    [Fact]
    public async Task The_balance_carries_the_streams_version_as_ETag_and_a_stale_If_Match_is_412()
    {
        var org = await FundedAsync("etag", 2_000);
        var owner = Api.ClientFor("etag-owner");

        var response = await Api.ClientFor("etag-support").GetAsync($"/orgs/{org}/wallet");
        var wallet = await response.ReadAsync<WalletResponse>();

        Assert.Equal($"\"{wallet.Version}\"", response.Headers.ETag!.Tag);
        Assert.Equal((2_000L, "EUR", true), (wallet.Balance, wallet.Currency, wallet.CoversMinimumRuntime));
        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org}/wallet/rate") { Content = JsonContent.Create(new { ratePerServiceMinute = 4 }) };
        stale.Headers.TryAddWithoutValidation("If-Match", $"\"{wallet.Version - 1}\"");
        await (await owner.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        using var current = new HttpRequestMessage(HttpMethod.Put, $"/orgs/{org}/wallet/rate") { Content = JsonContent.Create(new { ratePerServiceMinute = 4 }) };
        current.Headers.TryAddWithoutValidation("If-Match", $"\"{wallet.Version}\"");
        var changed = await owner.SendAsync(current);
        await changed.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(4, (await changed.ReadAsync<WalletResponse>()).RatePerServiceMinute);
    }

    [Fact]
    public async Task The_ledger_and_the_top_ups_page_newest_first_with_cursors()
    {
        var org = await FundedAsync("pages", 1_000);
        foreach (var amount in new long[] { 2_000, 3_000 })
        {
            var topUp = await RequestTopUpAsync(org, "pages", amount);
            await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, topUp, amount, $"pi_{topUp:N}"))).AssertStatusAsync(HttpStatusCode.OK);
        }

        var auditor = Api.ClientFor("pages-auditor");
        var first = await (await auditor.GetAsync($"/orgs/{org}/wallet/ledger?limit=2")).ReadAsync<LedgerPage>();
        var second = await (await auditor.GetAsync($"/orgs/{org}/wallet/ledger?limit=2&cursor={first.NextCursor}")).ReadAsync<LedgerPage>();
        Assert.Equal([6_000L, 3_000L], first.Items.Select(e => e.BalanceAfter));
        Assert.Equal([1_000L], second.Items.Select(e => e.BalanceAfter));
        Assert.Null(second.NextCursor);

        var topUps = await (await auditor.GetAsync($"/orgs/{org}/wallet/top-ups?limit=2")).ReadAsync<TopUpPage>();
        Assert.Equal([3_000L, 2_000L], topUps.Items.Select(t => t.Amount));
        Assert.All(topUps.Items, t => Assert.Equal(TopUpStatus.Succeeded, t.Status));
        await (await auditor.GetAsync($"/orgs/{org}/wallet/ledger?cursor=not-ours!")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }
}
