using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Hosting;
using Marten;

namespace EnvForge.Api.Elevation;

internal static partial class RootPolicyHandlers
{
    public static async Task<IResult> GetAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        if (OrgAccess.Check(org, http.User.Subject(), Permission.ViewOrganization) is { } denied)
        {
            return denied;
        }

        var version = (await session.Events.FetchStreamStateAsync(orgId, http.RequestAborted))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(RootPolicyResponse.From(org!.RootPolicy));
    }

    /// <summary>
    /// A change is an Organization event (audited). Grants keep the terms they were requested under, so no change widens
    /// one. Switching root off ends every open grant through its workflow: with open grants and no Temporal, nothing is
    /// appended (503), because a policy that says "off" while root stays on would be a lie.
    /// </summary>
    public static async Task<IResult> SetAsync(
        Guid orgId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, TimeProvider time, ILogger<RootPolicyRequest> logger)
    {
        var ct = http.RequestAborted;
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ManagePolicy, ct);
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

        var open = policy.IsEnabled ? [] : await ElevationRecords.OpenAsync(session, orgId, ct);
        if (open.Count > 0 && workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        var subject = http.User.Subject();
        var accepted = false;
        var result = await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManagePolicy,
            _ => new SetRootPolicy(orgId, policy, subject, time.GetUtcNow()),
            (org, _, _) =>
            {
                accepted = true;
                return TypedResults.Ok(RootPolicyResponse.From(org.RootPolicy, policy.IsEnabled ? null : open.Count));
            });

        if (accepted && !policy.IsEnabled)
        {
            // Also when this request changed nothing (already Disabled): a grant still open is ended, not left behind.
            foreach (var grant in open)
            {
                try
                {
                    await workflows.SignalElevationAsync(grant.Id, new ElevationSignal.PolicyDisabled(subject), ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The grant's workflow re-checks the policy before activating, and closes out at expiry regardless.
                    LogSignalFailed(logger, grant.Id, ex.GetType().Name);
                }
            }
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Root disabled, but grant {GrantId}'s workflow could not be signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid grantId, string error);
}
