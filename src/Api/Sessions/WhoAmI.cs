using EnvForge.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Sessions;

internal static class WhoAmIHandler
{
    public static Ok<WhoAmIResponse> Handle(HttpContext http)
    {
        var user = http.User;
        DateTimeOffset? expires = long.TryParse(user.FindFirst("exp")?.Value, out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null;
        return TypedResults.Ok(new WhoAmIResponse(user.Subject(), user.DisplayName(), user.SessionId(), user.FindFirst("iss")?.Value, expires));
    }
}
