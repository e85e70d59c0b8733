using System.Globalization;

namespace EnvForge.Api.Gateway;

/// <summary>A request the gateway answers itself: the status, a detail that never echoes a token, a cookie or the path, and when to retry.</summary>
public sealed record Refusal(int Status, string Detail, int? RetryAfter = null)
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
