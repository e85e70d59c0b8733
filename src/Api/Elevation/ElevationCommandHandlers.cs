using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Common;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Elevation;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Hosting;
using Marten;

namespace EnvForge.Api.Elevation;

/// <summary>
/// Request, approve, deny, revoke. Each records its decision on the grant's stream first (at the version read, so two
/// admins deciding at once serialize: the later one decides again on what the first recorded), then signals the grant's
/// workflow, which does the rest (activation, the timer, closeout). Without Temporal nothing is recorded: 503.
/// </summary>
internal static partial class ElevationCommandHandlers
{
    private const int ConflictRetries = 3;

    public static async Task<IResult> RequestAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var org = await session.LoadAsync<Organization>(orgId, ct);
        if (OrgAccess.Check(org, subject, Permission.UseWorkspaces) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<RequestElevationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        var now = time.GetUtcNow();
        var command = new RequestElevation(
            Guid.CreateVersion7(now), orgId, workspaceId, WorkspaceInOrg: workspace is not null && workspace.OrgId == orgId && workspace.IsLive,
            org!.RoleOf(subject), org.RootPolicy, Enum.Parse<RootMode>(body!.Mode!), TimeSpan.FromMinutes(body.WindowMinutes!.Value),
            body.Reason!, body.TicketReference, subject, now);
        var decision = ElevationDecider.Decide(command, null);
        if (decision.Rejection is { } rejection)
        {
            return Problems.From(rejection);
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        // The workflow first: a grant on the stream always has a workflow to end it. Should the append below fail, the
        // workflow finds no grant at its deadline and ends with nothing to do.
        var requested = (ElevationRequested)decision.Events[0];
        await workflows.StartElevationAsync(new ElevationInput(command.GrantId, orgId, workspaceId, requested.Deadline.UtcDateTime), ct);
        session.Events.StartStream<RootElevation>(command.GrantId, decision.Events);
        await session.SaveChangesAsync(ct);

        var record = ElevationRecord.Next(null, requested)!;
        ETags.Set(http.Response, decision.Events.Count);
        return TypedResults.Accepted($"/orgs/{orgId}/elevations/{command.GrantId}", ElevationResponse.From(record));
    }

    public static async Task<IResult> ApproveAsync(
        Guid orgId, Guid grantId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, TimeProvider time, ILogger<ApproveElevationRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ApproveElevationRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var window = body!.WindowMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        return await ExecuteAsync(http, session, workflows, logger, orgId, grantId,
            (role, subject) => new ApproveElevation(grantId, orgId, role, window, subject, time.GetUtcNow()));
    }

    public static async Task<IResult> DenyAsync(
        Guid orgId, Guid grantId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, TimeProvider time, ILogger<ReasonRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ReasonRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await ExecuteAsync(http, session, workflows, logger, orgId, grantId,
            (role, subject) => new DenyElevation(grantId, orgId, role, body!.Reason!, subject, time.GetUtcNow()));
    }

    public static async Task<IResult> RevokeAsync(
        Guid orgId, Guid grantId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, TimeProvider time, ILogger<ReasonRequest> logger)
    {
        var (body, problem) = await RequestBody.ReadAsync<ReasonRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await ExecuteAsync(http, session, workflows, logger, orgId, grantId,
            (role, subject) => new RevokeElevation(grantId, orgId, role, body!.Reason!, subject, time.GetUtcNow()));
    }

    /// <summary>authorize (non-member: 404) -> Temporal? -> load -> If-Match -> decide -> append at the version read -> signal.</summary>
    private static async Task<IResult> ExecuteAsync(
        HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, ILogger logger, Guid orgId, Guid grantId,
        Func<Role, string, IElevationCommand> command)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ViewOrganization, ct);
        if (denied is not null)
        {
            return denied;
        }

        if (!ETags.TryReadIfMatch(http.Request, out var expected, out var badIfMatch))
        {
            return badIfMatch!;
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        // A save that lost the race leaves its session's view of the grant with the events it could not append (the inline
        // snapshot was applied before the version check failed), so each retry decides in a fresh session.
        IDocumentSession? retry = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                if (await DecideAsync(retry ?? session, attempt) is { } result)
                {
                    return result;
                }

                if (retry is not null)
                {
                    await retry.DisposeAsync();
                }

                retry = session.DocumentStore.LightweightSession();
            }
        }
        finally
        {
            if (retry is not null)
            {
                await retry.DisposeAsync();
            }
        }

        // The answer, or null when another decision landed first and this one must be decided again.
        async Task<IResult?> DecideAsync(IDocumentSession attemptSession, int attempt)
        {
            var stream = await attemptSession.Events.FetchForWriting<RootElevation>(grantId, ct);
            if (stream.Aggregate is not { } grant || grant.OrgId != orgId)
            {
                return Problems.NotFound("elevation");
            }

            var current = stream.CurrentVersion ?? 0;
            if (expected is { } version && version != current)
            {
                return Problems.PreconditionFailed(current);
            }

            var decision = ElevationDecider.Decide(command(role!.Value, subject), grant);
            if (decision.Rejection is { } rejection)
            {
                return Problems.From(rejection);
            }

            if (decision.Events.Count == 0)
            {
                return await RespondAsync(http, attemptSession, grantId, current);
            }

            stream.AppendMany(decision.Events);
            try
            {
                await attemptSession.SaveChangesAsync(ct);
            }
            catch (Exception ex) when (Concurrency.IsConflict(ex))
            {
                // Another decision landed first. With If-Match the caller decides again; without, decide on what is there now.
                if (expected is not null)
                {
                    return Problems.PreconditionFailed(current);
                }

                if (attempt >= ConflictRetries)
                {
                    return Problems.Concurrency();
                }

                return null;
            }

            await SignalAsync(workflows, logger, grant, decision.Events, ct);
            return await RespondAsync(http, attemptSession, grantId, current + decision.Events.Count);
        }
    }

    /// <summary>The decision is recorded; the workflow acts on it. A signal that cannot be delivered is caught up by the workflow's next timer.</summary>
    private static async Task SignalAsync(IWorkflowLauncher workflows, ILogger logger, RootElevation grant, IReadOnlyList<IDomainEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            ElevationSignal? signal = e switch
            {
                ElevationApproved a => new ElevationSignal.Approved(a.Approver, a.ApprovalsGiven >= a.ApprovalsRequired),
                ElevationDenied d => new ElevationSignal.Denied(d.Approver),
                ElevationRevoked r => new ElevationSignal.Revoked(r.RevokedBy),
                _ => null,
            };
            if (signal is null)
            {
                continue;
            }

            try
            {
                await workflows.SignalElevationAsync(grant.Id, signal, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSignalFailed(logger, grant.Id, signal.GetType().Name, ex.GetType().Name);
            }
        }
    }

    private static async Task<IResult> RespondAsync(HttpContext http, IDocumentSession session, Guid grantId, long version)
    {
        var record = await session.LoadAsync<ElevationRecord>(grantId, http.RequestAborted);
        ETags.Set(http.Response, version);
        return TypedResults.Ok(ElevationResponse.From(record!));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grant {GrantId}: decision recorded, but the {Signal} signal was not delivered ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid grantId, string signal, string error);
}
