using System.CommandLine;
using System.Text.Json.Nodes;
using EnvForge.Cli.Infrastructure;

namespace EnvForge.Cli.Commands;

/// <summary><c>login</c>, <c>logout</c>, <c>whoami</c>, <c>token</c>: signing in as <c>gh auth login</c> does (a code to approve in a browser).</summary>
public static class AuthCommands
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static IEnumerable<Command> All() => [Login(), Logout(), WhoAmI(), Token()];

    private static Command Login()
    {
        var issuer = new Option<string?>("--issuer") { Description = "The identity provider, when it is not the server itself (Auth0: https://TENANT.auth0.com)" };
        var clientId = new Option<string>("--client-id") { Description = "The OAuth client id of the CLI", DefaultValueFactory = _ => "envforge-cli" };
        var withToken = new Option<bool>("--with-token") { Description = "Read an access token from standard input instead (scripts, CI); it is not refreshed" };
        return new Command("login", "Sign in: shows a code and a URL to approve it in your browser, then waits").With(issuer, clientId, withToken)
            .Does(async (parse, cli, ct) =>
            {
                var server = (cli.ServerOption ?? cli.Store.Load()?.Server ?? DefaultServer).TrimEnd('/');
                if (parse.GetValue(withToken))
                {
                    var token = (await Console.In.ReadToEndAsync(ct)).Trim();
                    if (token.Length == 0)
                    {
                        throw new CliException(ExitCodes.Usage, "--with-token reads the token from standard input, and it was empty");
                    }

                    cli.Store.Save(new Credentials(server, token, null, DateTimeOffset.UtcNow.AddYears(1), null, parse.GetValue(clientId)!));
                    await ShowSignedInAsync(cli, ct);
                    return;
                }

                var endpoints = await Oidc.DiscoverAsync(cli.Http, parse.GetValue(issuer) ?? server, ct);
                var device = await Oidc.StartDeviceAsync(cli.Http, endpoints, parse.GetValue(clientId)!, ct);
                cli.Out.Error.WriteLine($"! First copy your one-time code: {device.UserCode}");
                cli.Out.Error.WriteLine($"  Then open {device.VerificationUriComplete ?? device.VerificationUri} in your browser and approve it.");
                cli.Out.Error.WriteLine("  Waiting for approval...");
                var tokens = await WaitForApprovalAsync(cli, endpoints, parse.GetValue(clientId)!, device, ct);
                cli.Store.Save(new Credentials(server, tokens.AccessToken!, tokens.RefreshToken, DateTimeOffset.UtcNow.AddSeconds(tokens.ExpiresIn),
                    endpoints.TokenEndpoint, parse.GetValue(clientId)!, cli.Store.Load()?.DefaultOrg));
                await ShowSignedInAsync(cli, ct);
            });
    }

    /// <summary>Polls the token endpoint at the interval the issuer asks (slowing down when told to) until approved, denied or expired.</summary>
    private static async Task<TokenResponse> WaitForApprovalAsync(CliContext cli, IssuerEndpoints endpoints, string clientId, DeviceCode device, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("ENVFORGE_DEVICE_POLL_SECONDS") is { } s && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds : device.Interval);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(device.ExpiresIn);
        while (DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(interval, ct);
            var answer = await Oidc.PollDeviceAsync(cli.Http, endpoints, clientId, device.Code, ct);
            switch (answer.Error)
            {
                case null when answer.AccessToken is not null:
                    return answer;
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += TimeSpan.FromSeconds(5);
                    continue;
                case "access_denied":
                    throw new CliException(ExitCodes.Unauthenticated, "the sign-in was denied in the browser");
                case "expired_token":
                    throw new CliException(ExitCodes.Unauthenticated, "the code expired before it was approved: run `envforge login` again");
                default:
                    throw new CliException(ExitCodes.Unauthenticated, $"sign-in failed: {answer.Error} {answer.ErrorDescription}");
            }
        }

        throw new CliException(ExitCodes.Unauthenticated, "the code expired before it was approved: run `envforge login` again");
    }

    private static async Task ShowSignedInAsync(CliContext cli, CancellationToken ct)
    {
        var me = await cli.Api.GetAsync("/me", "sign-in", ct);
        cli.Out.Done($"Signed in to {cli.Api.Server} as {Column.Text(me?["subject"])}" + (me?["sessionId"] is { } sid ? $" (session {sid})" : ""), me);
    }

    private static Command Logout() => new Command("logout", "Sign out: ends this session on the server and forgets the credentials").Does(async (_, cli, ct) =>
    {
        if (cli.Store.Load() is null)
        {
            cli.Out.Done("Not signed in.");
            return;
        }

        string note;
        try
        {
            var me = await cli.Api.GetAsync("/me", "sign-in", ct);
            note = me?["sessionId"] is JsonValue sid
                ? (await cli.Api.PostAsync($"/sessions/{sid}/revoke", null, "sessions", ct)) is not null ? "session revoked on the server" : ""
                : "this token has no session to revoke";
        }
        catch (CliException ex) when (ex.ExitCode is ExitCodes.Unauthenticated)
        {
            note = "the session had already ended";
        }
        catch (CliException ex) when (ex.ExitCode is ExitCodes.Unreachable)
        {
            note = "the server could not be reached: the session ends when its tokens expire";
        }

        cli.Store.Delete();
        cli.Out.Done($"Signed out ({note}).");
    });

    private static Command WhoAmI() => new Command("whoami", "Who you are signed in as, where, and in which session").Does(async (_, cli, ct) =>
    {
        var me = await cli.Api.GetAsync("/me", "sign-in", ct);
        if (me is JsonObject o)
        {
            o["server"] = cli.Api.Server;
        }

        cli.Out.Fields(me, ("Subject", "subject"), ("Name", "name"), ("Server", "server"), ("Session", "sessionId"), ("Issuer", "issuer"), ("Token expires", "expiresAt"));
    });

    private static Command Token() => new Command("token", "Print a valid access token (refreshed if needed) for scripts: treat it as a password")
        .Does(async (_, cli, ct) =>
        {
            var credentials = await cli.Api.FreshAsync(force: false, ct);
            if (cli.Out.IsJson)
            {
                cli.Out.WriteJson(new JsonObject { ["accessToken"] = credentials.AccessToken, ["expiresAt"] = credentials.ExpiresAt });
            }
            else
            {
                cli.Out.Line(credentials.AccessToken);
            }
        });
}
