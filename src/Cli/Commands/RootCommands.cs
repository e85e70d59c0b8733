using System.CommandLine;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>root request|pending|approve|deny|revoke|history</c>: time-boxed root on a workspace, approved by an Admin or Owner.</summary>
public static class RootCommands
{
    private const string Capability = "root elevation";

    private static readonly Column[] Columns =
    [
        ("ID", "id"), ("WORKSPACE", "workspaceId"), ("REQUESTER", "requester"), ("MODE", "mode"), ("WINDOW (MIN)", "windowMinutes"), ("STATUS", "status"),
        ("REQUESTED", "requestedAt"), ("REASON", "reason"),
    ];

    public static Command Root()
    {
        var workspace = new Argument<string>("WORKSPACE_ID");
        var mode = new Option<string>("--mode") { Description = "WorkspaceElevation or BreakGlass", DefaultValueFactory = _ => "WorkspaceElevation" };
        var window = new Option<int>("--window") { Description = "Minutes", DefaultValueFactory = _ => 30 };
        var reason = new Option<string>("--reason") { Description = "Why (always required)", Required = true };
        var ticket = new Option<string?>("--ticket");
        var request = new Command("request", "Ask for root on a workspace; an Admin or Owner approves").With(workspace, mode, window, reason, ticket).Does(async (parse, cli, ct) =>
        {
            var grant = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/workspaces/{Options.Escape(parse.GetValue(workspace)!)}/elevations",
                new { mode = parse.GetValue(mode), windowMinutes = parse.GetValue(window), reason = parse.GetValue(reason), ticketReference = parse.GetValue(ticket) }, Capability, ct);
            cli.Out.Done($"Root requested: grant {Column.Text(grant?["id"])} ({Column.Text(grant?["status"])}), waiting for approval until {Column.Text(grant?["deadline"])}.", grant);
        });
        var pending = new Command("pending", "Requests waiting for a decision, oldest first").Does(async (_, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/elevations/pending", Capability, ct), Columns));
        var id = new Argument<string>("GRANT_ID");
        var shorter = new Option<int?>("--window") { Description = "Approve a shorter window (minutes)" };
        var approve = new Command("approve", "Approve a request (Admin/Owner, never your own)").With(id, shorter).Does(async (parse, cli, ct) =>
        {
            var grant = await cli.Api.PostAsync(GrantPath(cli, parse.GetValue(id)!) + "/approve", new { windowMinutes = parse.GetValue(shorter) }, Capability, ct);
            cli.Out.Done($"Approved grant {parse.GetValue(id)} ({Column.Text(grant?["status"])}).", grant);
        });
        var denyReason = new Option<string>("--reason") { Required = true };
        var deny = new Command("deny", "Deny a request (Admin/Owner)").With(id, denyReason).Does(async (parse, cli, ct) =>
        {
            var grant = await cli.Api.PostAsync(GrantPath(cli, parse.GetValue(id)!) + "/deny", new { reason = parse.GetValue(denyReason) }, Capability, ct);
            cli.Out.Done($"Denied grant {parse.GetValue(id)}.", grant);
        });
        var revoke = new Command("revoke", "End a grant now (the requester, an Admin or an Owner)").With(id, denyReason).Does(async (parse, cli, ct) =>
        {
            var grant = await cli.Api.PostAsync(GrantPath(cli, parse.GetValue(id)!) + "/revoke", new { reason = parse.GetValue(denyReason) }, Capability, ct);
            cli.Out.Done($"Revoked grant {parse.GetValue(id)}.", grant);
        });
        var ofWorkspace = new Option<string?>("--workspace");
        var status = new Option<string?>("--status");
        var requester = new Option<string?>("--requester");
        var history = new Command("history", "Every grant, newest first, kept after it ends").With(ofWorkspace, status, requester).Does(async (parse, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/elevations?" + OrgCommands.Query(
                ("workspaceId", parse.GetValue(ofWorkspace)), ("status", parse.GetValue(status)), ("requester", parse.GetValue(requester))), Capability, ct),
                [.. Columns, ("ENDED AS", "endedAs")]));
        return new Command("root", "Root on a workspace: request, approve, revoke").With(request, pending, approve, deny, revoke, history);
    }

    private static string GrantPath(CliContext cli, string id) => $"/orgs/{Options.Escape(cli.Org)}/elevations/{Options.Escape(id)}";
}
