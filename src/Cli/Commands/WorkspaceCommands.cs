using System.CommandLine;
using System.Text.Json.Nodes;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>workspaces create|list|show|wake|sleep|watch</c>.</summary>
public static class WorkspaceCommands
{
    private const string Capability = "workspaces";

    private static readonly Column[] Columns =
    [
        ("ID", "id"), ("NAME", "name"), ("STATUS", "status"), ("STEP", "step"), ("AWAKE", "awake"), ("INSTANCE", "instanceId"), ("BRANCH", "branch"),
    ];

    public static Command Workspaces()
    {
        var name = new Argument<string>("NAME");
        var repository = new Option<string>("--repo") { Description = "The Git repository URL", Required = true };
        var branch = new Option<string>("--branch") { DefaultValueFactory = _ => "main" };
        var services = new Option<string[]>("--service") { Description = "A service as NAME:PORT (repeat for more)", Required = true, AllowMultipleArgumentsPerToken = true };
        var create = new Command("create", "Declare a workspace and start provisioning it (Developer+)").With(name, repository, branch, services).Does(async (parse, cli, ct) =>
        {
            var declared = parse.GetValue(services)!.Select(s => s.Split(':', 2) is [var n, var p] && int.TryParse(p, out var port)
                ? new { name = n, port }
                : throw new CliException(ExitCodes.Usage, $"--service {s}: expected NAME:PORT")).ToArray();
            var workspace = await cli.Api.PostAsync($"/orgs/{Options.Escape(cli.Org)}/workspaces",
                new { name = parse.GetValue(name), repository = parse.GetValue(repository), branch = parse.GetValue(branch), services = declared, secrets = Array.Empty<object>() },
                Capability, ct);
            cli.Out.Done($"Workspace {Column.Text(workspace?["name"])} created: {Column.Text(workspace?["id"])} ({Column.Text(workspace?["status"])}). Follow it with `envforge workspaces watch {Column.Text(workspace?["id"])}`.", workspace);
        });
        var list = new Command("list", "The org's workspaces").Does(async (_, cli, ct) =>
            cli.Out.Table(await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/workspaces", Capability, ct), Columns));
        var id = new Argument<string>("WORKSPACE_ID");
        var show = new Command("show", "One workspace: status, steps, placement").With(id).Does(async (parse, cli, ct) =>
            cli.Out.Fields(await cli.Api.GetAsync(Path(cli, parse.GetValue(id)!), Capability, ct),
                ("ID", "id"), ("Name", "name"), ("Repository", "repository"), ("Branch", "branch"), ("Status", "status"), ("Step", "step"),
                ("Completed steps", "completedSteps"), ("Instance", "instanceId"), ("Region", "region"), ("Awake", "awake"), ("Last wake", "lastWakeTrigger"),
                ("Failure", "failureReason"), new Column("Services", w => string.Join(", ", (w?["services"] as JsonArray ?? []).Select(s => $"{s?["name"]}:{s?["port"]}")))));
        var trigger = new Option<string>("--trigger") { Description = "DevUrl, Test, ServiceCommand, AgentJob or Api", DefaultValueFactory = _ => "Api" };
        var wake = new Command("wake", "Wake a workspace (starts its services)").With(id, trigger).Does(async (parse, cli, ct) =>
        {
            var woke = await cli.Api.PostAsync(Path(cli, parse.GetValue(id)!) + "/wake", new { trigger = parse.GetValue(trigger) }, Capability, ct);
            cli.Out.Done($"Waking workspace {parse.GetValue(id)}.", woke);
        });
        var sleep = new Command("sleep", "Put a workspace to sleep (stops its services and the meter)").With(id).Does(async (parse, cli, ct) =>
        {
            var slept = await cli.Api.PostAsync(Path(cli, parse.GetValue(id)!) + "/sleep", new { }, Capability, ct);
            cli.Out.Done($"Workspace {parse.GetValue(id)} is going to sleep.", slept);
        });
        var interval = new Option<double>("--interval") { Description = "Seconds between reads", DefaultValueFactory = _ => 2 };
        var watch = new Command("watch", "Follow provisioning step by step until the workspace is ready, failed or cancelled").With(id, interval)
            .Does((parse, cli, ct) => WatchAsync(cli, Path(cli, parse.GetValue(id)!), TimeSpan.FromSeconds(parse.GetValue(interval)), ct));
        return new Command("workspaces", "Cloud dev environments").With(create, list, show, wake, sleep, watch);
    }

    private static string Path(CliContext cli, string id) => $"/orgs/{Options.Escape(cli.Org)}/workspaces/{Options.Escape(id)}";

    /// <summary>Reads the workspace's read model until it settles; prints each change once (a line of JSON per change with --json).</summary>
    private static async Task WatchAsync(CliContext cli, string path, TimeSpan interval, CancellationToken ct)
    {
        string? last = null;
        while (true)
        {
            var workspace = await cli.Api.GetAsync(path, Capability, ct);
            var status = Column.Text(workspace?["status"]);
            var now = $"{status} {Column.Text(workspace?["step"])} [{Column.Text(workspace?["completedSteps"])}]";
            if (now != last)
            {
                last = now;
                if (cli.Out.IsJson)
                {
                    cli.Out.Line(workspace?.ToJsonString() ?? "null");
                }
                else
                {
                    var done = workspace?["completedSteps"] as JsonArray ?? [];
                    cli.Out.Line($"{DateTimeOffset.Now:HH:mm:ss}  {status,-12} " + (workspace?["step"] is { } step ? $"-> {step}  " : "")
                        + (done.Count > 0 ? $"(done: {string.Join(", ", done)})" : "") + (workspace?["failureReason"] is { } why ? $"  failed: {why}" : ""));
                }
            }

            if (status is "Ready" or "Failed" or "Cancelled" or "Destroyed")
            {
                if (status != "Ready")
                {
                    throw new CliException(ExitCodes.Refused, $"the workspace ended {status}" + (workspace?["failureReason"] is { } reason ? $": {reason}" : ""));
                }

                return;
            }

            await Task.Delay(interval, ct);
        }
    }
}
