using System.Security.Claims;

namespace EnvForge.Api.Infrastructure;

public static class CurrentUser
{
    /// <summary>The caller's subject (the <c>sub</c> claim). Authentication guarantees it on every authorized endpoint.</summary>
    public static string Subject(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("An authenticated request without a subject.");

    public static string? DisplayName(this ClaimsPrincipal user) => user.FindFirstValue("name");
}
