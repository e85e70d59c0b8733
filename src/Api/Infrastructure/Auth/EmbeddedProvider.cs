using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// The embedded default's OIDC provider (OpenIddict), active when <c>Auth:Authority</c> is empty: local users, the device
/// authorization flow (the CLI), authorization code with PKCE (browsers), refresh tokens that rotate on every use, and
/// 15-minute access tokens signed with the keys of <see cref="SigningKeys"/>. With an authority set, none of this is
/// registered and people sign in at that provider instead.
/// </summary>
public sealed class EmbeddedProvider : IApiCapability
{
    /// <summary>The provider's own browser sign-in (the cookie behind the login page); never accepted by the API.</summary>
    public const string BrowserScheme = "EnvForge.Browser";

    public const string CliClientId = "envforge-cli";
    public const string WebClientId = "envforge-web";

    public void AddServices(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (!options.IsLocal)
        {
            return;
        }

        var services = builder.Services;
        var dataDirectory = DataDirectory.Resolve(configuration);
        var keys = SigningKeys.Load(dataDirectory);
        var issuer = options.LocalIssuerUri(configuration);
        services.AddSingleton(keys);
        services.AddDbContext<AuthDbContext>(db => db.UseNpgsql(configuration.GetConnectionString("Marten")).UseOpenIddict());
        services.AddScoped<LocalUsers>();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);

        // OpenIddict logs whole protocol responses (device codes in them) at Information and token ids at Trace: Warning at most.
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);
        services.AddHostedService<ProviderBootstrap>();
        services.TryAddSingleton(new InitialPasswordOutput(Console.Out));
        services.AddDataProtection().SetApplicationName("EnvForge").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "data-protection")));
        services.AddAntiforgery(a => a.Cookie.Name = "ef_af");
        services.AddAuthentication().AddCookie(BrowserScheme, cookie =>
        {
            cookie.Cookie.Name = "ef_signin";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = options.BrowserSignInLifetime;
            cookie.SlidingExpiration = false;
            cookie.LoginPath = SignInPages.LoginPath;
        });

        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<AuthDbContext>())
            .AddServer(server =>
            {
                server.SetIssuer(issuer);
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetDeviceAuthorizationEndpointUris("connect/device")
                    .SetEndUserVerificationEndpointUris("connect/verify");
                server.AllowDeviceAuthorizationFlow().AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowRefreshTokenFlow();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess);
                server.Configure(o => o.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain)); // S256 only
                server.SetAccessTokenLifetime(options.AccessTokenLifetime)
                    .SetRefreshTokenLifetime(options.RefreshTokenLifetime)
                    .SetDeviceCodeLifetime(options.DeviceCodeLifetime)
                    .SetUserCodeLifetime(options.DeviceCodeLifetime)
                    .SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(2));

                // Reuse is detected by the Session stream (generation numbers, audited, the whole family revoked), not by
                // OpenIddict's token entries: with a leeway as long as a refresh token lives, OpenIddict lets a redeemed
                // refresh token through to the token endpoint, where the session's decider refuses it and revokes the family.
                server.SetRefreshTokenReuseLeeway(options.RefreshTokenLifetime);

                // Access tokens are plain signed JWTs, so any resource server (this API) checks them with the JWKS alone.
                server.DisableAccessTokenEncryption();
                foreach (var key in keys.Signing)
                {
                    server.AddSigningKey(key);
                }

                server.AddEncryptionKey(keys.Encryption);
                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough();
                if (!options.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });
        services.AddOptions<OpenIddict.Server.OpenIddictServerOptions>().Configure<TimeProvider>((o, time) => o.TimeProvider = time);
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (!options.IsLocal)
        {
            return;
        }

        var connect = app.MapGroup("/connect").ExcludeFromDescription();
        connect.MapMethods("/authorize", ["GET", "POST"], SignInPages.AuthorizeAsync);
        connect.MapPost("/token", TokenEndpoint.HandleAsync);
        connect.MapGet("/verify", SignInPages.VerifyPageAsync);
        connect.MapPost("/verify", SignInPages.VerifyAsync);

        var auth = app.MapGroup("/auth").ExcludeFromDescription();
        auth.MapGet("/login", SignInPages.LoginPage);
        auth.MapPost("/login", SignInPages.LoginAsync);
        auth.MapGet("/done", SignInPages.Done);
        auth.MapGet("/callback", SignInPages.Callback);
        UserAdmin.Map(app);
    }

    /// <summary>The scheme OpenIddict answers protocol requests with (sign-in issues tokens, forbid answers an OAuth error).</summary>
    public const string ProtocolScheme = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;
}
