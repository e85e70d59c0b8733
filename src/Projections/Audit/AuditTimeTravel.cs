using EnvForge.Domain.Audit;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using JasperFx.Events;
using Marten;

namespace EnvForge.Projections.Audit;

/// <summary>One stored event as an auditor replays it: its place in the stream and in the store, its metadata, its data.</summary>
public sealed record RawEvent(
    long Version, long Sequence, Guid Id, string Type, DateTimeOffset Timestamp, string? CorrelationId, string? CausationId, string? User,
    IReadOnlyDictionary<string, object>? Headers, object Data);

/// <summary>A stream's state as it was: at <see cref="Version"/> (the last event at or before the asked version or time).</summary>
public sealed record StreamState(Guid StreamId, string Kind, long Version, DateTimeOffset? At, object? State);

/// <summary>The org's root policy at the moment a grant became approved, beside the terms the grant itself carried.</summary>
public sealed record PolicyAtApproval(
    Guid GrantId, Guid OrgId, string Approver, DateTimeOffset ApprovedAt, long ApprovalSequence, long OrgVersion, RootPolicy Policy, RootMode GrantMode,
    TimeSpan GrantWindow, int GrantApprovalsRequired);

/// <summary>
/// Time travel for auditors, always within one org: a stream's raw events with versions and metadata, any aggregate's
/// state at a version or a timestamp (Marten's <c>AggregateStreamAsync</c>, folding with the same projections the live
/// snapshots use), and "the org's root policy when grant G was approved" in one call.
/// </summary>
public static class AuditTimeTravel
{
    /// <summary>The stream's events after <paramref name="afterVersion"/>; null when the stream is not the org's (or does not exist).</summary>
    public static async Task<IReadOnlyList<RawEvent>?> EventsAsync(
        IQuerySession session, Guid orgId, Guid streamId, long afterVersion, int limit, CancellationToken ct)
    {
        if (await KindAsync(session, orgId, streamId, ct) is null)
        {
            return null;
        }

        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamId == streamId && e.Version > afterVersion).OrderBy(e => e.Version).Take(limit).ToListAsync(ct);
        return [.. events.Select(e => new RawEvent(
            e.Version, e.Sequence, e.Id, e.EventTypeName, e.Timestamp, e.CorrelationId, e.CausationId, e.UserName, e.Headers, e.Data))];
    }

    /// <summary>The aggregate at a version (0: the latest) or as of a time; null when the stream is not the org's.</summary>
    public static async Task<StreamState?> StateAsync(
        IQuerySession session, Guid orgId, Guid streamId, long version, DateTimeOffset? at, CancellationToken ct)
    {
        if (await KindAsync(session, orgId, streamId, ct) is not { } kind)
        {
            return null;
        }

        var reached = session.Events.QueryAllRawEvents().Where(e => e.StreamId == streamId);
        if (version > 0)
        {
            reached = reached.Where(e => e.Version <= version);
        }

        if (at is { } t)
        {
            reached = reached.Where(e => e.Timestamp <= t);
        }

        var last = await reached.OrderByDescending(e => e.Version).FirstOrDefaultAsync(ct);
        if (last is null)
        {
            return new StreamState(streamId, kind, 0, null, null);
        }

        object? state = kind switch
        {
            "organization" => await session.Events.AggregateStreamAsync<Organization>(streamId, last.Version, token: ct),
            "workspace" => await session.Events.AggregateStreamAsync<Workspace>(streamId, last.Version, token: ct),
            "dev_link" => await session.Events.AggregateStreamAsync<DevLink>(streamId, last.Version, token: ct),
            "elevation" => await session.Events.AggregateStreamAsync<RootElevation>(streamId, last.Version, token: ct),
            "audit_record" => await session.Events.AggregateStreamAsync<AuditRecord>(streamId, last.Version, token: ct),
            _ => null,
        };
        return new StreamState(streamId, kind, last.Version, last.Timestamp, state);
    }

    /// <summary>
    /// The org's root policy when <paramref name="grantId"/> got its last required approval: the org stream folded up to the
    /// last org event stored before that approval. Null when the grant is not the org's; <c>NotApproved</c> when it never was.
    /// </summary>
    public static async Task<(PolicyAtApproval? Answer, bool NotApproved)> PolicyAtApprovalAsync(
        IQuerySession session, Guid orgId, Guid grantId, CancellationToken ct)
    {
        if (await KindAsync(session, orgId, grantId, ct) != "elevation")
        {
            return (null, false);
        }

        var events = await session.Events.FetchStreamAsync(grantId, token: ct);
        var requested = events.Select(e => e.Data).OfType<ElevationRequested>().First();
        var approval = events.FirstOrDefault(e => e.Data is ElevationApproved a && a.ApprovalsGiven >= a.ApprovalsRequired);
        if (approval is null)
        {
            return (null, true);
        }

        var approvedAt = approval.Sequence;
        var orgEvent = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamId == orgId && e.Sequence < approvedAt).OrderByDescending(e => e.Sequence).FirstOrDefaultAsync(ct);
        var org = orgEvent is null ? null : await session.Events.AggregateStreamAsync<Organization>(orgId, orgEvent.Version, token: ct);
        var approved = (ElevationApproved)approval.Data;
        return (new PolicyAtApproval(
            grantId, orgId, approved.Approver, approval.Timestamp, approval.Sequence, orgEvent?.Version ?? 0, org?.RootPolicy ?? RootPolicy.Default,
            requested.Mode, requested.RequestedWindow, requested.ApprovalsRequired), false);
    }

    /// <summary>What kind of stream this is, from its first event, if that event is the org's; null otherwise.</summary>
    public static async Task<string?> KindAsync(IQuerySession session, Guid orgId, Guid streamId, CancellationToken ct)
    {
        var first = await session.Events.QueryAllRawEvents().Where(e => e.StreamId == streamId).OrderBy(e => e.Version).FirstOrDefaultAsync(ct);
        return first?.Data is IDomainEvent d && d.OrgId == orgId ? KindOf(d) : null;
    }

    private static string KindOf(IDomainEvent e) => e switch
    {
        IOrganizationEvent => "organization",
        IWorkspaceEvent => "workspace",
        IDevLinkEvent => "dev_link",
        IElevationEvent => "elevation",
        IAuditRecordEvent => "audit_record",
        _ => "other", // a stream kind added later: its events replay, its state is not folded here yet
    };
}
