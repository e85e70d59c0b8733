using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Infrastructure;

/// <summary>
/// Reads and validates a JSON body: malformed JSON, unknown fields and a missing body are 400 ProblemDetails;
/// validator failures are 400 with per-field errors. Shape only: business rules are the domain's.
/// </summary>
public static class RequestBody
{
    public static async Task<(T? Body, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext http)
        where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, Problems.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."));
        }

        T? body;
        try
        {
            var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            body = await http.Request.ReadFromJsonAsync<T>(json, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            // The path and position help the caller; the message never quotes the offending value.
            return (null, Problems.Malformed($"Invalid JSON at {ex.Path ?? "$"} (line {ex.LineNumber}, byte {ex.BytePositionInLine})."));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problems.Problem(ex.StatusCode, "malformed_request", "The request body could not be read", ex.Message));
        }

        if (body is null)
        {
            return (null, Problems.Malformed("A JSON object body is required."));
        }

        var validator = http.RequestServices.GetService<IValidator<T>>();
        if (validator is not null)
        {
            var result = await validator.ValidateAsync(body, http.RequestAborted);
            if (!result.IsValid)
            {
                return (null, Problems.Validation(result.ToDictionary()));
            }
        }

        return (body, null);
    }
}
