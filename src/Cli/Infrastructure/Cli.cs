using System.CommandLine;

namespace EnvForge.Cli.Infrastructure;

/// <summary>What every command gets: its output, the API as the signed-in user, the org it acts in.</summary>
public sealed class CliContext(Output output, CredentialStore store, HttpClient http, string? server, string? org)
{
    public Output Out => output;

    public CredentialStore Store => store;

    public HttpClient Http => http;

    /// <summary>--server, when given (login needs it; other commands use the server they signed in to).</summary>
    public string? ServerOption => server;

    public ApiClient Api => new(store, http, server);

    /// <summary>The org: --org, else ENVFORGE_ORG, else the one chosen with <c>envforge orgs use</c>.</summary>
    public string Org => org is { Length: > 0 } ? org
        : Environment.GetEnvironmentVariable("ENVFORGE_ORG") is { Length: > 0 } env ? env
        : store.Load()?.DefaultOrg ?? throw new CliException(ExitCodes.Usage, "no org chosen: pass --org ORG_ID, set ENVFORGE_ORG, or run `envforge orgs use ORG_ID`");
}

/// <summary>The options every command accepts, and the one way a command's action is wired.</summary>
public static class Options
{
    public static readonly Option<bool> Json = new("--json") { Description = "Print the server's JSON instead of tables", Recursive = true };

    public static readonly Option<string?> Server = new("--server") { Description = "The EnvForge API, e.g. http://127.0.0.1:5080 (login remembers it)", Recursive = true };

    public static readonly Option<string?> Org = new("--org") { Description = "The org to act in (or ENVFORGE_ORG, or `envforge orgs use`)", Recursive = true };

    /// <summary>Sets <paramref name="command"/>'s action: a context is built from the global options, failures become exit codes.</summary>
    public static Command Does(this Command command, Func<ParseResult, CliContext, CancellationToken, Task> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            var output = new Output(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(Json));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
            http.DefaultRequestHeaders.UserAgent.ParseAdd($"envforge-cli/{typeof(Options).Assembly.GetName().Version?.ToString(3)}");
            var context = new CliContext(output, new CredentialStore(), http, parse.GetValue(Server), parse.GetValue(Org));
            try
            {
                await action(parse, context, ct);
                return ExitCodes.Ok;
            }
            catch (CliException ex)
            {
                output.Error.WriteLine($"error: {ex.Message}");
                if (output.IsJson)
                {
                    output.WriteJson(new System.Text.Json.Nodes.JsonObject { ["error"] = ex.Message, ["exitCode"] = ex.ExitCode });
                }

                return ex.ExitCode;
            }
            catch (OperationCanceledException)
            {
                output.Error.WriteLine("cancelled");
                return 130;
            }
        });
        return command;
    }

    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o:
                    command.Add(o);
                    break;
                case Argument a:
                    command.Add(a);
                    break;
                case Command c:
                    command.Add(c);
                    break;
            }
        }

        return command;
    }

    public static string Escape(string value) => Uri.EscapeDataString(value);
}
