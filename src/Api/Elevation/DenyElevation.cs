using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Workflows.Elevation;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>The body of deny and revoke: a reason is always required.</summary>
public sealed record ReasonRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<ReasonRequest>
    {
        public Validator() => RuleFor(r => r.Reason).NotEmpty().MaximumLength(ElevationDecider.MaxReasonLength);
    }
}

/// <summary>Denies with a reason (Admin/Owner, never the requester); recorded, then signalled.</summary>
internal static class DenyElevationHandler
{
    public static async Task<Results<Ok<ElevationResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid grantId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, TimeProvider time,
        ILogger<ReasonRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ReasonRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await GrantDecision.RecordAsync(orgId, grantId, http, session, commands, workflows, logger,
            (role, subject) => new DenyElevation(grantId, orgId, role, body!.Reason!, subject, time.GetUtcNow()));
    }
}
