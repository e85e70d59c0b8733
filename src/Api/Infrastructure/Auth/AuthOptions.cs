namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// Bound from "Auth". With <see cref="Authority"/> set, people sign in at that OIDC provider (Auth0, Entra, Keycloak...).
/// Without it, EnvForge serves its own OIDC provider (the embedded default, <see cref="EmbeddedProvider"/>) at
/// <see cref="Issuer"/>. Either way the API checks access tokens one way: the issuer's discovery document and published
/// keys, the audience, the issuer, the lifetime, and the revocation list.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string? Authority { get; set; }

    public string Audience { get; set; } = "envforge-api";

    /// <summary>
    /// The embedded provider's issuer (an absolute URL, the public address of this API). Empty: the first address in
    /// <c>urls</c> (as ops/run.sh passes it), else http://localhost:5000/.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Where the API reads the issuer's discovery document; empty for the issuer's own (<c>{issuer}/.well-known/openid-configuration</c>).</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>HTTPS for the provider's endpoints and the discovery document. Off by default for a loopback API; turn it on behind TLS.</summary>
    public bool RequireHttps { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the provider's own browser sign-in (the cookie behind /auth/login) lasts.</summary>
    public TimeSpan BrowserSignInLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Where the browser client (<c>envforge-web</c>) may be sent back with a code. Empty: <c>{issuer}auth/callback</c>.</summary>
    public List<string> WebRedirectUris { get; set; } = [];

    /// <summary>The first owner's user name, created with a one-time password on first start. Empty: create nobody.</summary>
    public string InitialOwner { get; set; } = "admin";

    /// <summary>
    /// The operator-token issuer: tokens minted with the local HMAC key by <c>EnvForge.Api token</c> (ops/token.sh), for
    /// scripts and tests. Accepted only by the embedded default, never when <see cref="Authority"/> is set.
    /// </summary>
    public string LocalIssuer { get; set; } = "envforge-local";

    /// <summary>Base64 HMAC-SHA256 key for operator tokens; when empty, read from or created in the data directory.</summary>
    public string? LocalSigningKey { get; set; }

    /// <summary>bcrypt cost for local users' passwords (2^cost rounds; 11 takes about 0.1 to 0.2 s on one core).</summary>
    public int PasswordHashCost { get; set; } = 11;

    /// <summary>How often the revocation list asks the database for newly revoked sessions.</summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public bool IsLocal => string.IsNullOrWhiteSpace(Authority);

    /// <summary>The embedded provider's issuer as an absolute URL ending in '/'.</summary>
    public Uri LocalIssuerUri(IConfiguration configuration)
    {
        var configured = Issuer;
        if (string.IsNullOrWhiteSpace(configured))
        {
            var first = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            configured = first is null ? "http://localhost:5000/" : first.Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal);
        }

        return new Uri(configured.EndsWith('/') ? configured : configured + "/", UriKind.Absolute);
    }
}
