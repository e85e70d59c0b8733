using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace EnvForge.Api.Infrastructure;

/// <summary>The stream version is the resource's ETag; If-Match maps to the expected version of the append.</summary>
public static class ETags
{
    public static void Set(HttpResponse response, long version) => response.Headers.ETag = $"\"{version}\"";

    /// <summary>Reads If-Match: none or <c>*</c> means "any version"; a single strong or weak numeric tag is an expected version.</summary>
    public static bool TryReadIfMatch(HttpRequest request, out long? expected, out ProblemHttpResult? problem)
    {
        expected = null;
        problem = null;
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*")
        {
            return true;
        }

        if (EntityTagHeaderValue.TryParse(header, out var tag)
            && long.TryParse(tag.Tag.AsSpan().Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            expected = version;
            return true;
        }

        problem = Problems.Problem(StatusCodes.Status400BadRequest, "invalid_if_match", "Invalid If-Match", "If-Match must be one ETag from a previous response, or *.");
        return false;
    }
}
