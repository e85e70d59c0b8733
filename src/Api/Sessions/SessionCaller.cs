using System.Security.Claims;
using EnvForge.Api.Infrastructure.Auth;

namespace EnvForge.Api.Sessions;

internal static class SessionCaller
{
    /// <summary>The session the caller's access token belongs to (the <c>sid</c> claim), if any.</summary>
    public static Guid? SessionId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(AuthSetup.SessionClaim)?.Value, out var id) ? id : null;
}
