using System.CommandLine;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary>
/// <c>wallet balance|ledger|top-up</c>: <c>GET /orgs/{org}/wallet</c>, <c>GET /orgs/{org}/wallet/ledger</c> and
/// <c>POST /orgs/{org}/wallet/top-ups</c>. A server without the wallet answers a bare 404, and the CLI says the capability
/// is not available there (exit 8).
/// </summary>
public static class WalletCommands
{
    private const string Capability = "The wallet";

    public static Command Wallet()
    {
        var balance = new Command("balance", "The org's balance (Owner, Admin, Support, Auditor)").Does(async (_, cli, ct) =>
            cli.Out.Fields(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/wallet", Capability, ct),
                ("Balance", "balance"), ("Currency", "currency"), ("Rate per service-minute", "ratePerServiceMinute"),
                ("Covers minimum runtime", "coversMinimumRuntime"), ("Last top-up", "lastTopUpAmount"), ("Awake workspaces", "awakeWorkspaces"), ("Version", "version")));
        var cursor = new Option<string?>("--cursor");
        var limit = new Option<int?>("--limit");
        var ledger = new Command("ledger", "Every change to the balance, with the running balance").With(cursor, limit).Does(async (parse, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/wallet/ledger?" + OrgCommands.Query(
                ("cursor", parse.GetValue(cursor)), ("limit", parse.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture))), Capability, ct),
                ("AT", "at"), ("KIND", "kind"), ("AMOUNT", "amount"), ("BALANCE", "balanceAfter"), ("BY", "actor"), ("SUMMARY", "summary")));
        var amount = new Argument<long>("AMOUNT") { Description = "In minor units (cents)" };
        var currency = new Option<string>("--currency") { DefaultValueFactory = _ => "USD" };
        var topUp = new Command("top-up", "Add money to the wallet through Stripe (Owner/Admin)").With(amount, currency).Does(async (parse, cli, ct) =>
        {
            var topUp = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/wallet/top-ups", new { amount = parse.GetValue(amount), currency = parse.GetValue(currency) }, Capability, ct);
            cli.Out.Done($"Top-up {Column.Text(topUp?["topUpId"])} started ({Column.Text(topUp?["status"])}).", topUp);
        });
        return new Command("wallet", "The org's prepaid balance").With(balance, ledger, topUp);
    }
}
