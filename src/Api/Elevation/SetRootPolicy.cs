using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

public sealed record RootPolicyRequest(string? Mode, int? MaximumWindowMinutes, int? ApprovalsRequired, int? PendingDeadlineMinutes, bool? TicketReferenceRequired)
{
    public sealed class Validator : AbstractValidator<RootPolicyRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Mode).NotEmpty().Must(ElevationRequestRules.IsMode).WithMessage(ElevationRequestRules.ModeMessage);
            RuleFor(r => r.MaximumWindowMinutes).NotNull();
            RuleFor(r => r.ApprovalsRequired).NotNull();
        }
    }

    public RootPolicy ToPolicy() => new(
        Enum.Parse<RootMode>(Mode!),
        TimeSpan.FromMinutes(MaximumWindowMinutes!.Value),
        ApprovalsRequired!.Value,
        PendingDeadlineMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : RootPolicy.DefaultPendingDeadline,
        TicketReferenceRequired ?? false);
}

/// <summary>
/// Sets the org's root policy (Owner/Admin): an Organization event (audited; honours If-Match). Grants keep the terms they
/// were requested under, so no change widens one. Switching root off ends every open grant through its workflow: with
/// open grants and no Temporal, nothing is appended (503), because a policy that says "off" while root stays on would be a lie.
/// </summary>
internal static partial class SetRootPolicyHandler
{
    public static async Task<Results<Ok<RootPolicyResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, TimeProvider time,
        ILogger<RootPolicyRequest> logger)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ManagePolicy, ct);
        if (denied is not null)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<RootPolicyRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var policy = body!.ToPolicy();
        if (policy.Validate() is { } invalid)
        {
            return Problems.From(invalid); // before asking about Temporal: a bad policy is the caller's to fix either way
        }

        var open = policy.IsEnabled ? [] : await ElevationHistory.OpenAsync(session, orgId, ct);
        if (open.Count > 0 && workflows.UnavailableReason is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManagePolicy, member: null,
            (_, memberships) => new SetRootPolicy(orgId, policy, subject, time.GetUtcNow()) { Memberships = memberships });
        if (result.Problem is { } refused)
        {
            return refused;
        }

        if (!policy.IsEnabled)
        {
            // Also when this request changed nothing (already Disabled): a grant still open is ended, not left behind.
            foreach (var grant in open)
            {
                try
                {
                    await workflows.DisablePolicyAsync(grant.Id, subject, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The grant's workflow re-checks the policy before activating, and closes out at expiry regardless.
                    LogSignalFailed(logger, grant.Id, ex.GetType().Name);
                }
            }
        }

        return TypedResults.Ok(RootPolicyResponse.From(result.State.RootPolicy, policy.IsEnabled ? null : open.Count));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Root disabled, but grant {GrantId}'s workflow could not be signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid grantId, string error);
}
