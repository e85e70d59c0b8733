namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// Bound from "Auth". With <see cref="Authority"/> set, tokens come from that OIDC provider (Auth0, Entra, Keycloak...)
/// and are checked against its published keys. Without it, EnvForge runs its embedded default: tokens signed with
/// a local key (<see cref="LocalSigningKey"/>, or a key file created in the data directory on first start).
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string? Authority { get; set; }

    public string Audience { get; set; } = "envforge-api";

    public string LocalIssuer { get; set; } = "envforge-local";

    /// <summary>Base64 HMAC-SHA256 key for the embedded default; when empty, read from or created in the data directory.</summary>
    public string? LocalSigningKey { get; set; }

    public bool IsLocal => string.IsNullOrWhiteSpace(Authority);
}
