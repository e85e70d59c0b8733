using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>What the embedded provider puts in its tokens: who (sub, name), the session, and nothing EnvForge authorizes by.</summary>
internal static class ProviderPrincipal
{
    /// <summary>The refresh token's generation within its session; never copied into an access or identity token.</summary>
    public const string GenerationClaim = "ef_gen";

    private static readonly string[] Granted = [Scopes.OpenId, Scopes.Profile, Scopes.OfflineAccess];

    /// <summary>A principal for <paramref name="user"/> with the requested scopes the provider knows, for the API's audience.</summary>
    public static ClaimsPrincipal For(LocalUser user, IEnumerable<string> scopes, string audience, string? authorizationId = null)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.UserName).SetClaim(Claims.Name, user.DisplayName ?? user.UserName);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(scopes.Where(Granted.Contains).Distinct());
        principal.SetResources(audience);
        if (authorizationId is not null)
        {
            principal.SetAuthorizationId(authorizationId);
        }

        return principal;
    }

    /// <summary>Binds the principal to a session: its id in every token, the refresh token's generation in the refresh token only.</summary>
    public static ClaimsPrincipal InSession(ClaimsPrincipal principal, Guid sessionId, int generation)
    {
        principal.SetClaim(AuthSetup.SessionClaim, sessionId.ToString()).SetClaim(GenerationClaim, generation);
        principal.SetDestinations(static claim => claim.Type switch
        {
            Claims.Subject or Claims.Name or AuthSetup.SessionClaim => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [],
        });
        return principal;
    }

    public static (Guid SessionId, int Generation)? SessionOf(ClaimsPrincipal principal) =>
        Guid.TryParse(principal.GetClaim(AuthSetup.SessionClaim), out var id) && int.TryParse(principal.GetClaim(GenerationClaim), out var generation)
            ? (id, generation)
            : null;
}
