using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Elevation;

/// <summary>
/// The I/O of a grant: each activity loads the grant, performs the effect on the host, decides, and appends at the
/// version it read. A retried activity appends nothing twice (the decider answers "nothing to do" for a step already on
/// the stream), and host effects are idempotent by grant id. Activity names are explicit and prefixed: they are part
/// of every recorded history.
/// </summary>
public sealed class ElevationActivities(IDocumentStore store, IRootAccessHost host, TimeProvider time)
{
    public const string Actor = "system:elevation";

    /// <summary>The deadline passed: expire a request still pending; report any other state as it is.</summary>
    [Activity("RootElevation.ExpirePending")]
    public Task<GrantState> ExpirePendingAsync(ElevationInput input) => DecideAsync(
        input.GrantId, g => g.Status == ElevationStatus.Pending ? new ExpirePendingElevation(g.Id, Actor, time.GetUtcNow()) : null);

    /// <summary>Root goes on the host, then the activation (and with it the window) is recorded.</summary>
    [Activity("RootElevation.Activate")]
    public async Task<GrantState> ActivateAsync(ElevationInput input)
    {
        var grant = await LoadGrantAsync(input.GrantId);
        if (grant is null || grant.Status != ElevationStatus.Approved)
        {
            if (grant is { IsFinal: true } && Attempt > 1)
            {
                // An earlier attempt may have put root on the host before the grant ended under it: take it away.
                await RevokeOnHostAsync(input.WorkspaceId, input.GrantId);
            }

            return GrantState.Of(grant);
        }

        Organization? org;
        await using (var query = store.QuerySession())
        {
            org = await query.LoadAsync<Organization>(grant.OrgId, Ct);
        }

        if (org is null || !org.RootPolicy.IsEnabled)
        {
            // Root was switched off between approval and activation; the grant ends without ever taking effect. An earlier
            // attempt may have put root on the host before failing to record it: take it away (the workflow will not).
            if (Attempt > 1)
            {
                await RevokeOnHostAsync(input.WorkspaceId, input.GrantId);
            }

            return await DecideAsync(grant.Id, g => new EndElevationForDisabledPolicy(g.Id, Actor, time.GetUtcNow()));
        }

        var workspace = await LoadWorkspaceAsync(input.WorkspaceId);
        if (workspace?.Placement is null || !workspace.IsLive)
        {
            throw new ApplicationFailureException("the workspace has no running host to elevate on", "elevation.no_host", nonRetryable: true);
        }

        await host.GrantAsync(workspace, grant.Id, time.GetUtcNow() + grant.Window, Ct);
        var state = await DecideAsync(grant.Id, g => g.Status == ElevationStatus.Approved ? new ActivateElevation(g.Id, Actor, time.GetUtcNow()) : null);
        if (state.Status is not ElevationStatus.Active)
        {
            // Revoked (or root disabled) while root was being put in place: the host must not keep it.
            await host.RevokeAsync(workspace, grant.Id, Ct);
        }

        return state;
    }

    /// <summary>Activation failed for good: make sure the host holds nothing, then close the grant out.</summary>
    [Activity("RootElevation.AbandonActivation")]
    public async Task<GrantState> AbandonActivationAsync(ElevationInput input)
    {
        var grant = await LoadGrantAsync(input.GrantId);
        if (grant is null || grant.IsFinal || grant.Status == ElevationStatus.Active)
        {
            return GrantState.Of(grant); // ended already, or activated after all (the workflow holds and closes it out)
        }

        await RevokeOnHostAsync(input.WorkspaceId, input.GrantId);
        return await DecideAsync(grant.Id, g => new AbandonActivation(g.Id, Actor, time.GetUtcNow()));
    }

    /// <summary>
    /// Root comes off the host, then the closeout is recorded with the instant before which issued credentials are void.
    /// At expiry, after a revoke (recorded by the API), or because root was disabled (<paramref name="policyDisabledBy"/>).
    /// </summary>
    [Activity("RootElevation.CloseOut")]
    public async Task<GrantState> CloseOutAsync(ElevationInput input, string? policyDisabledBy)
    {
        var grant = await LoadGrantAsync(input.GrantId);
        if (grant is null || grant.IsFinal)
        {
            return GrantState.Of(grant);
        }

        await RevokeOnHostAsync(input.WorkspaceId, input.GrantId);
        return await DecideAsync(grant.Id, g => policyDisabledBy is { } actor
            ? new EndElevationForDisabledPolicy(g.Id, actor, time.GetUtcNow())
            : new CloseOutElevation(g.Id, Actor, time.GetUtcNow()));
    }

    /// <summary>Root was disabled before the grant took effect: end it (an active one is closed out on the host first).</summary>
    [Activity("RootElevation.EndForDisabledPolicy")]
    public async Task<GrantState> EndForDisabledPolicyAsync(ElevationInput input, string actor)
    {
        var grant = await LoadGrantAsync(input.GrantId);
        if (grant is null || grant.IsFinal)
        {
            return GrantState.Of(grant);
        }

        if (grant.Status == ElevationStatus.Active || Attempt > 1)
        {
            await RevokeOnHostAsync(input.WorkspaceId, input.GrantId);
        }

        return await DecideAsync(grant.Id, g => new EndElevationForDisabledPolicy(g.Id, actor, time.GetUtcNow()));
    }

    private static CancellationToken Ct => ActivityStreams.CancellationToken;

    private static int Attempt => ActivityStreams.Attempt;

    private async Task RevokeOnHostAsync(Guid workspaceId, Guid grantId)
    {
        // A workspace destroyed (or never placed) has no host left to hold root.
        if (await LoadWorkspaceAsync(workspaceId) is { Placement: not null } workspace)
        {
            await host.RevokeAsync(workspace, grantId, Ct);
        }
    }

    private async Task<Workspace?> LoadWorkspaceAsync(Guid workspaceId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Workspace>(workspaceId, Ct);
    }

    private async Task<RootElevation?> LoadGrantAsync(Guid grantId)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<RootElevation>(grantId, Ct);
    }

    /// <summary>
    /// Decides again on the grant as it is now and appends (the one activity command path). <paramref name="command"/>
    /// returns null when there is nothing to do; a grant already ended is left as it is. A refusal is final, except "not
    /// yet due", which a short retry fixes (the timer and this clock differ).
    /// </summary>
    private async Task<GrantState> DecideAsync(Guid grantId, Func<RootElevation, IElevationCommand?> command)
    {
        var outcome = await ActivityStreams.DecideAsync(store, ElevationDecider.Decider, grantId,
            grant => grant is null || grant.IsFinal ? null : command(grant), Actor, "elevation.not_yet_due");
        return GrantState.Of(outcome.State);
    }
}
