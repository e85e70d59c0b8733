using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Elevation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Elevation;

/// <summary>
/// Approve, deny and revoke: each is recorded on the grant's stream first, through the one command path (so two admins
/// deciding at once serialize: the later one decides again on what the first recorded), then signalled to the grant's
/// workflow, which does the rest (activation, the timer, closeout). Without Temporal nothing is recorded: 503.
/// </summary>
internal static partial class GrantDecision
{
    public static async Task<Results<Ok<ElevationResponse>, ProblemHttpResult>> RecordAsync(
        Guid orgId, Guid grantId, HttpContext http, IQuerySession session, StreamCommands commands, IElevationWorkflows workflows, ILogger logger,
        Func<Role, string, IElevationCommand> command)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ViewOrganization, ct);
        if (denied is not null)
        {
            return denied;
        }

        if (workflows.UnavailableReason is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        var result = await commands.ExecuteAsync(http, ElevationDecider.Decider, grantId, _ => command(role!.Value, subject),
            authorize: grant => grant is null || grant.OrgId != orgId ? Problems.NotVisible("elevation") : null);
        if (result.Problem is { } refused)
        {
            return refused;
        }

        if (result.Changed)
        {
            await NotifyAsync(workflows, logger, grantId, result.Events, ct);
        }

        var record = await session.LoadAsync<ElevationRecord>(grantId, ct);
        return TypedResults.Ok(ElevationResponse.From(record!));
    }

    /// <summary>The decision is recorded; the workflow acts on it. A signal that cannot be delivered is caught up by the workflow's next timer.</summary>
    private static async Task NotifyAsync(IElevationWorkflows workflows, ILogger logger, Guid grantId, IReadOnlyList<IDomainEvent> recorded, CancellationToken ct)
    {
        try
        {
            await workflows.NotifyAsync(grantId, recorded, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSignalFailed(logger, grantId, ex.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grant {GrantId}: decision recorded, but its workflow was not signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid grantId, string error);
}
