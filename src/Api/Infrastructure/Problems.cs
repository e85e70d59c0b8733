using EnvForge.Domain.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure;

/// <summary>
/// Every error EnvForge answers is RFC 9457 ProblemDetails with a stable <c>type</c> per kind of error and a
/// machine-readable <c>code</c>. Details never echo secrets, tokens or raw input values.
/// </summary>
public static class Problems
{
    public const string TypeBase = "https://envforge.dev/problems/";

    /// <summary>
    /// Every ProblemDetails the host writes gets the request's correlation id as <c>traceId</c> (the id stamped on the events
    /// a request appends and echoed as <c>X-Correlation-Id</c>; it replaces the framework's Activity id, so a caller has one
    /// id to look up in the audit trail); one the framework made itself (a 415 from the endpoint's accepted content types,
    /// a 405, a 401 challenge) also gets a stable <c>code</c> and <c>type</c>.
    /// </summary>
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = problem.Status switch
        {
            StatusCodes.Status400BadRequest => "malformed_request",
            StatusCodes.Status401Unauthorized => "unauthenticated",
            StatusCodes.Status403Forbidden => "forbidden",
            StatusCodes.Status404NotFound => "not_found",
            StatusCodes.Status405MethodNotAllowed => "method_not_allowed",
            StatusCodes.Status413PayloadTooLarge => "payload_too_large",
            StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
            _ => null,
        };
        if (code is not null)
        {
            problem.Extensions["code"] = code;
            problem.Type = TypeBase + code;
        }

        if (problem.Status == StatusCodes.Status415UnsupportedMediaType)
        {
            problem.Detail ??= "Send the body as application/json.";
        }
    }

    public static ProblemHttpResult Problem(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var all = new Dictionary<string, object?> { ["code"] = code };
        if (extensions is not null)
        {
            foreach (var (k, v) in extensions)
            {
                all[k] = v;
            }
        }

        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypeBase + code, extensions: all);
    }

    public static ProblemHttpResult From(Rejection rejection) => Problem(
        rejection.Kind switch
        {
            RejectionKind.NotFound => StatusCodes.Status404NotFound,
            RejectionKind.Conflict => StatusCodes.Status409Conflict,
            RejectionKind.Forbidden => StatusCodes.Status403Forbidden,
            RejectionKind.PaymentRequired => StatusCodes.Status402PaymentRequired,
            _ => StatusCodes.Status422UnprocessableEntity,
        },
        rejection.Code,
        rejection.Kind switch
        {
            RejectionKind.NotFound => "Not found",
            RejectionKind.Conflict => "Conflict",
            RejectionKind.Forbidden => "Forbidden",
            RejectionKind.PaymentRequired => "Payment required",
            _ => "Rule violated",
        },
        rejection.Message);

    /// <summary>The same answer for "does not exist" and "exists but you are not a member": nothing leaks across orgs.</summary>
    public static ProblemHttpResult NotFound(string what = "organization") => From(NotVisible(what));

    /// <summary><see cref="NotFound"/> as a rejection, for the command path's <c>authorize</c> step.</summary>
    public static Rejection NotVisible(string what) => new($"{what}.not_found", $"No {what} with this id is visible to you.", RejectionKind.NotFound);

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) => Problem(
        StatusCodes.Status400BadRequest, "validation", "The request is invalid", "One or more fields are invalid; see errors.",
        new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemHttpResult Malformed(string detail) =>
        Problem(StatusCodes.Status400BadRequest, "malformed_request", "The request body could not be read", detail);

    public static ProblemHttpResult Concurrency() => Problem(
        StatusCodes.Status409Conflict, "concurrency_conflict", "Conflict",
        "Another change to this resource was saved first. Reload it and try again.");

    public static ProblemHttpResult PreconditionFailed(long current) => Problem(
        StatusCodes.Status412PreconditionFailed, "precondition_failed", "Precondition failed",
        $"If-Match does not match the current version ({current}). Reload and retry.");

    public static ProblemHttpResult Forbidden(string detail) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static ProblemHttpResult WorkflowsUnavailable(string reason) => Problem(
        StatusCodes.Status503ServiceUnavailable, "temporal_unavailable", "Workflow engine unavailable",
        $"This operation runs as a Temporal workflow and Temporal is unavailable: {reason}. Nothing was changed.");
}
