using System.Globalization;

namespace EnvForge.Api.Gateway;

/// <summary>A request the gateway answers itself: the status, a detail that never echoes a token, a cookie or the path, and when to retry.</summary>
/// <param name="Code">
/// For a refusal of what a caller asked (not of the gateway's or the workspace's state), a short stable reason the audit trail
/// counts per link (<see cref="EnvForge.Projections.Audit.IGatewayRefusals"/>); null for the rest (asleep, stale directory).
/// </param>
public sealed record Refusal(int Status, string Detail, int? RetryAfter = null, string? Code = null)
{
    /// <summary>Writes the refusal as a plain ProblemDetails answer (whatever the response held so far is dropped).</summary>
    public Task WriteAsync(HttpContext http)
    {
        http.Response.Clear();
        http.Response.StatusCode = Status;
        http.Response.Headers.CacheControl = "no-store";
        if (RetryAfter is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return http.Response.WriteAsJsonAsync(
            new { type = $"https://envforge.dev/problems/gateway.{Status}", title = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(Status), status = Status, detail = Detail },
            options: null, contentType: "application/problem+json", http.RequestAborted);
    }
}
