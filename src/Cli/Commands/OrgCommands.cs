using System.CommandLine;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>orgs list|create|show|use</c> and <c>members list|add|remove|role</c>.</summary>
public static class OrgCommands
{
    private const string Capability = "organizations";

    public static Command Orgs()
    {
        var list = new Command("list", "The orgs you belong to, with your role").Does(async (_, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync("/orgs", Capability, ct), ("ID", "id"), ("NAME", "name"), ("YOUR ROLE", "yourRole"), ("MEMBERS", "memberCount")));
        var name = new Argument<string>("NAME");
        var create = new Command("create", "Register an org; you become its first Owner").With(name).Does(async (parse, cli, ct) =>
        {
            var org = await cli.Api.PostAsync("/orgs", new { name = parse.GetValue(name) }, Capability, ct);
            cli.Out.Done($"Org {Column.Text(org?["name"])} created: {Column.Text(org?["id"])}", org);
        });
        var show = new Command("show", "One org (the external ID is shown to Owners and Admins)").Does(async (_, cli, ct) =>
            cli.Out.Fields(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}", Capability, ct),
                ("ID", "id"), ("Name", "name"), ("Your role", "yourRole"), ("Members", "memberCount"), ("External ID", "externalId"), ("Version", "version")));
        var id = new Argument<string>("ORG_ID");
        var use = new Command("use", "Make ORG_ID the org later commands act in (until --org or ENVFORGE_ORG says otherwise)").With(id).Does((parse, cli, _) =>
        {
            var credentials = cli.Store.Load() ?? throw new CliException(ExitCodes.Unauthenticated, "not signed in: run `envforge login`");
            cli.Store.Save(credentials with { DefaultOrg = parse.GetValue(id) });
            cli.Out.Done($"Now acting in org {parse.GetValue(id)}.");
            return Task.CompletedTask;
        });
        return new Command("orgs", "Organizations").With(list, create, show, use);
    }

    public static Command Members()
    {
        var role = new Option<string?>("--role") { Description = "Owner, Admin, Developer, Viewer, Support or Auditor" };
        var search = new Option<string?>("--search") { Description = "A user id or display name prefix" };
        var list = new Command("list", "The org's members").With(role, search).Does(async (parse, cli, ct) =>
        {
            var query = string.Join('&', new[] { ("role", parse.GetValue(role)), ("search", parse.GetValue(search)) }
                .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Options.Escape(p.Item2!)}"));
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/members?{query}", Capability, ct),
                ("USER", "userId"), ("NAME", "displayName"), ("ROLE", "role"));
        });
        var user = new Argument<string>("USER_ID");
        var requiredRole = new Option<string>("--role") { Description = "Owner, Admin, Developer, Viewer, Support or Auditor", Required = true };
        var displayName = new Option<string?>("--display-name");
        var add = new Command("add", "Add a member (Owner/Admin)").With(user, requiredRole, displayName).Does(async (parse, cli, ct) =>
        {
            var member = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/members",
                new { userId = parse.GetValue(user), role = parse.GetValue(requiredRole), displayName = parse.GetValue(displayName) }, Capability, ct);
            cli.Out.Done($"{parse.GetValue(user)} is now a member ({Column.Text(member?["role"])}).", member);
        });
        var remove = new Command("remove", "Remove a member (Owner/Admin); their access to the org ends at once").With(user).Does(async (parse, cli, ct) =>
        {
            await cli.Api.SendAsync(HttpMethod.Delete, $"/orgs/{Options.Escape(cli.Org)}/members/{Options.Escape(parse.GetValue(user)!)}", null, Capability, ct);
            cli.Out.Done($"{parse.GetValue(user)} removed.");
        });
        var newRole = new Argument<string>("ROLE");
        var changeRole = new Command("role", "Change a member's role (Owner/Admin)").With(user, newRole).Does(async (parse, cli, ct) =>
        {
            var member = await cli.Api.SendAsync(HttpMethod.Put, $"/orgs/{Options.Escape(cli.Org)}/members/{Options.Escape(parse.GetValue(user)!)}/role",
                new { role = parse.GetValue(newRole) }, Capability, ct);
            cli.Out.Done($"{parse.GetValue(user)} is now {parse.GetValue(newRole)}.", member);
        });
        return new Command("members", "The org's members and roles").With(list, add, remove, changeRole);
    }

    /// <summary>"a=1&amp;b=2" from the pairs whose value is given.</summary>
    public static string Query(params (string Key, string? Value)[] pairs) =>
        string.Join('&', pairs.Where(p => p.Value is { Length: > 0 }).Select(p => $"{p.Key}={Options.Escape(p.Value!)}"));
}
