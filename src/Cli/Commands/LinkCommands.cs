using System.CommandLine;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>links issue|list|rotate|revoke|open</c>: dev links. A link's URL (with its token) is printed once, when issued or rotated.</summary>
public static class LinkCommands
{
    private const string Capability = "dev links";

    private static readonly Column[] Columns =
    [
        ("ID", "id"), ("WORKSPACE", "workspaceId"), ("SERVICE", "service"), ("SURFACES", "surfaces"), ("STATUS", "status"), ("EXPIRES", "expiresAt"), ("ISSUER", "issuer"),
    ];

    public static Command Links()
    {
        var workspace = new Argument<string>("WORKSPACE_ID");
        var service = new Option<string>("--service") { DefaultValueFactory = _ => "web" };
        var surfaces = new Option<string[]>("--surface") { Description = "Web, Api, Assets, WebSockets (repeat)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["Web", "Api", "Assets"] };
        var expires = new Option<int?>("--expires-in") { Description = "Minutes (the org's default when omitted)" };
        var issue = new Command("issue", "Issue a link to one service of a workspace; prints its URL once").With(workspace, service, surfaces, expires).Does(async (parse, cli, ct) =>
        {
            var issued = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/workspaces/{Options.Escape(parse.GetValue(workspace)!)}/dev-links",
                new { service = parse.GetValue(service), surfaces = parse.GetValue(surfaces), expiresInMinutes = parse.GetValue(expires) }, Capability, ct);
            cli.Out.Done($"Dev link {Column.Text(issued?["link"]?["id"])} until {Column.Text(issued?["link"]?["expiresAt"])}:\n  {Column.Text(issued?["url"])}\n(shown once: anyone with this URL can open it)", issued);
        });
        var ofWorkspace = new Option<string?>("--workspace");
        var list = new Command("list", "The org's dev links (never their tokens)").With(ofWorkspace).Does(async (parse, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/dev-links?{OrgCommands.Query(("workspaceId", parse.GetValue(ofWorkspace)))}", Capability, ct), Columns));
        var id = new Argument<string>("LINK_ID");
        var rotate = new Command("rotate", "A new token: the old URL and its sessions stop at once").With(id).Does(async (parse, cli, ct) =>
        {
            var rotated = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/dev-links/{Options.Escape(parse.GetValue(id)!)}/rotate", null, Capability, ct);
            cli.Out.Done($"Rotated. New URL (shown once):\n  {Column.Text(rotated?["url"])}", rotated);
        });
        var reason = new Option<string?>("--reason");
        var revoke = new Command("revoke", "Revoke a link: the gateway refuses it within a second").With(id, reason).Does(async (parse, cli, ct) =>
        {
            var revoked = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/dev-links/{Options.Escape(parse.GetValue(id)!)}/revoke", new { reason = parse.GetValue(reason) }, Capability, ct);
            cli.Out.Done($"Dev link {parse.GetValue(id)} revoked.", revoked);
        });
        var token = new Argument<string>("URL_OR_TOKEN") { Description = "The link's URL or its efl1... token" };
        var open = new Command("open", "Signed in, exchange a link for a one-use URL that opens it (links shared with named people)").With(token).Does(async (parse, cli, ct) =>
        {
            var given = parse.GetValue(token)!;
            var value = given.Contains("token=", StringComparison.Ordinal) ? Uri.UnescapeDataString(given[(given.IndexOf("token=", StringComparison.Ordinal) + 6)..].Split('&')[0]) : given;
            var opened = await cli.Api.PostAsync("/dev-links/open", new { token = value }, Capability, ct);
            cli.Out.Done($"Open within a minute (one use):\n  {Column.Text(opened?["url"])}", opened);
        });
        return new Command("links", "Dev links to a workspace's app").With(issue, list, rotate, revoke, open);
    }
}
