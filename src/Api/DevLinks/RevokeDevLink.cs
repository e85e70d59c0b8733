using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Workflows.DevLinks;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

public sealed record RevokeDevLinkRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<RevokeDevLinkRequest>
    {
        public Validator() => RuleFor(r => r.Reason).MaximumLength(DevLinkDecider.MaxReasonLength);
    }
}

/// <summary>
/// Revokes the link (issuer, Admin, Owner): recorded, and so refused by the gateway within a second. Ending the expiry
/// timer early is housekeeping: a failed signal changes nothing.
/// </summary>
internal static partial class RevokeDevLinkHandler
{
    public static async Task<Results<Ok<DevLinkResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, StreamCommands commands, IDevLinkWorkflows workflows,
        IOptions<GatewayOptions> gateway, TimeProvider time, ILogger<RevokeDevLinkRequest> logger)
    {
        // The reason is optional, and so is the body that carries it.
        var (body, problem) = http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.Headers.ContainsKey("Transfer-Encoding"))
            ? (new RevokeDevLinkRequest(null), null)
            : await RequestBody.ReadAsync<RevokeDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var result = await LinkCommand.ExecuteAsync(orgId, linkId, http, session, commands,
            (_, role, subject) => new RevokeDevLink(linkId, orgId, role, body!.Reason, subject, time.GetUtcNow()));
        if (result.Problem is { } refused)
        {
            return refused;
        }

        if (result.Changed && workflows.UnavailableReason is null)
        {
            try
            {
                await workflows.RevokedAsync(linkId, http.RequestAborted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSignalFailed(logger, linkId, ex.GetType().Name);
            }
        }

        return TypedResults.Ok(DevLinkResponse.From(result.State, time.GetUtcNow(), gateway.Value));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId} revoked, but its expiry workflow could not be signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid linkId, string error);
}
