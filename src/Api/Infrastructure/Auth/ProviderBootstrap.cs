using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// At start, before the API listens: the provider's tables, its two clients (the CLI and the browser app, both public:
/// neither can keep a secret), and on the very first start the first owner, whose one-time password is printed once to
/// the console (standard output, not a log: log lines never carry a password) and stored only as a bcrypt hash.
/// </summary>
public sealed partial class ProviderBootstrap(
    IServiceScopeFactory scopes, IConfiguration configuration, InitialPasswordOutput output, ILogger<ProviderBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        await using var scope = scopes.CreateAsyncScope();
        await AuthDatabase.EnsureCreatedAsync(scope.ServiceProvider.GetRequiredService<AuthDbContext>(), cancellationToken);

        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var issuer = options.LocalIssuerUri(configuration);
        await RegisterAsync(applications, Cli(), cancellationToken);
        await RegisterAsync(applications, Web(options.WebRedirectUris.Count > 0 ? options.WebRedirectUris : [new Uri(issuer, "auth/callback").AbsoluteUri]), cancellationToken);

        var users = scope.ServiceProvider.GetRequiredService<LocalUsers>();
        if (options.InitialOwner is { Length: > 0 } owner && !await users.AnyAsync(cancellationToken))
        {
            if (await users.CreateAsync(owner, "Owner", isAdmin: true, "system:first-start", cancellationToken) is { } password)
            {
                await output.Writer.WriteLineAsync(
                    $"""

                    ==> EnvForge first start: user "{owner}" created with the one-time password

                            {password}

                        Sign in with `envforge login --server {issuer.AbsoluteUri.TrimEnd('/')}` (or at {issuer}auth/login)
                        and choose a new password. It is shown only this once.

                    """);
                LogFirstOwner(logger, owner);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static OpenIddictApplicationDescriptor Cli() => new()
    {
        ClientId = EmbeddedProvider.CliClientId,
        DisplayName = "envforge CLI",
        ClientType = ClientTypes.Public,
        ApplicationType = ApplicationTypes.Native,
        Permissions =
        {
            Permissions.Endpoints.DeviceAuthorization, Permissions.Endpoints.Token,
            Permissions.GrantTypes.DeviceCode, Permissions.GrantTypes.RefreshToken,
            Permissions.Scopes.Profile, Permissions.Prefixes.Scope + Scopes.OfflineAccess,
        },
    };

    private static OpenIddictApplicationDescriptor Web(IEnumerable<string> redirectUris)
    {
        var web = new OpenIddictApplicationDescriptor
        {
            ClientId = EmbeddedProvider.WebClientId,
            DisplayName = "EnvForge in the browser",
            ClientType = ClientTypes.Public,
            ApplicationType = ApplicationTypes.Web,
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Prefixes.Scope + Scopes.OfflineAccess,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in redirectUris)
        {
            web.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        return web;
    }

    /// <summary>Creates the client, or brings it in line with this start's configuration (redirect URIs follow the issuer).</summary>
    private static async Task RegisterAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken ct)
    {
        if (await applications.FindByClientIdAsync(descriptor.ClientId!, ct) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, ct);
        }
        else
        {
            await applications.CreateAsync(descriptor, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: created the first owner {UserName}; the one-time password was printed to the console")]
    private static partial void LogFirstOwner(ILogger logger, string userName);
}

/// <summary>Where the first owner's one-time password is printed: the console (a test registers its own writer).</summary>
public sealed class InitialPasswordOutput(TextWriter writer)
{
    public TextWriter Writer { get; } = writer;
}
