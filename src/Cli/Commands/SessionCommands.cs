using System.CommandLine;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>sessions list|revoke</c> (yours; with --org, the org's members', for Owners and Admins) and <c>users</c> of the embedded provider.</summary>
public static class SessionCommands
{
    private static readonly Column[] Columns =
    [
        ("ID", "id"), ("USER", "subject"), ("CLIENT", "clientId"), ("CREATED", "createdAt"), ("FROM", "createdFrom"), ("LAST USED", "lastUsedAt"),
        new("STATE", s => s?["revokedAt"] is null ? (s?["current"]?.GetValue<bool>() == true ? "current" : "active") : $"revoked ({Column.Text(s["endReason"])})"),
    ];

    public static Command Sessions()
    {
        var all = new Option<bool>("--all") { Description = "Include revoked sessions" };
        var user = new Option<string?>("--user") { Description = "With --org: one member's sessions" };
        var list = new Command("list", "Your sessions; with --org, the sessions of the org's members (Owner/Admin)").With(all, user).Does(async (parse, cli, ct) =>
        {
            var org = parse.GetValue(Options.Org);
            var query = $"?all={(parse.GetValue(all) ? "true" : "false")}" + (parse.GetValue(user) is { } u ? $"&userId={Options.Escape(u)}" : "");
            var path = org is null ? "/sessions" + query : $"/orgs/{Options.Escape(org)}/sessions" + query;
            cli.Out.Table(await cli.Api.GetAsync(path, "sessions", ct), Columns);
        });
        var id = new Argument<string>("SESSION_ID");
        var revoke = new Command("revoke", "Revoke a session: it refreshes no more, and its tokens stop within a second").With(id).Does(async (parse, cli, ct) =>
        {
            var org = parse.GetValue(Options.Org);
            var session = Options.Escape(parse.GetValue(id)!);
            var path = org is null ? $"/sessions/{session}/revoke" : $"/orgs/{Options.Escape(org)}/sessions/{session}/revoke";
            var revoked = await cli.Api.PostAsync(path, null, "sessions", ct);
            cli.Out.Done($"Session {parse.GetValue(id)} revoked ({Column.Text(revoked?["endReason"])}).", revoked);
        });
        return new Command("sessions", "Sign-in sessions: list and revoke").With(list, revoke);
    }

    public static Command Users()
    {
        var name = new Argument<string>("USER_NAME") { Description = "Lower-case letters, digits, '.', '_' or '-'" };
        var display = new Option<string?>("--display-name");
        var admin = new Option<bool>("--admin") { Description = "May create users too" };
        var create = new Command("create", "Create a user of the embedded sign-in provider; prints their one-time password once (provider admins)")
            .With(name, display, admin).Does(async (parse, cli, ct) =>
            {
                var created = await cli.Api.PostAsync("/auth/users", new { userName = parse.GetValue(name), displayName = parse.GetValue(display), admin = parse.GetValue(admin) }, "the embedded sign-in provider", ct);
                cli.Out.Done($"User {parse.GetValue(name)} created. One-time password (shown once; they choose their own at first sign-in):\n  {Column.Text(created?["oneTimePassword"])}", created);
            });
        var list = new Command("list", "The embedded provider's users (provider admins)").Does(async (_, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync("/auth/users", "the embedded sign-in provider", ct),
                ("USER", "userName"), ("NAME", "displayName"), ("ADMIN", "admin"), ("MUST CHANGE PASSWORD", "mustChangePassword"), ("CREATED", "createdAt")));
        return new Command("users", "Users of the embedded sign-in provider (not with Auth0: manage them there)").With(create, list);
    }
}
