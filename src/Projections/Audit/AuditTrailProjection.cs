using System.Text.Json;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Projections.Infrastructure;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EnvForge.Projections.Audit;

/// <summary>
/// Builds the audit trail and its hash chains, asynchronously in the Solo daemon (see README, "Scaling out"). It works a
/// batch of events at a time: it loads the chain heads of the orgs in the batch, appends one entry per event in global
/// sequence order (each hashing the previous one), and stores the entries and the new heads. The daemon commits them in
/// the same transaction as its own progress, so a daemon killed mid-stream resumes at the first event it had not
/// committed: no gap, no duplicate (a unique index on org and chain position turns a fork into a loud failure).
/// </summary>
public sealed class AuditTrailProjection : IProjection
{
    public const string Name = "AuditTrail";

    /// <summary>The event header that pins a masked event's personal commitment (see <see cref="AuditMasking"/>).</summary>
    public const string CommitmentHeader = "envforge.audit.commitment";

    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var domain = events.Where(e => e.Data is IDomainEvent).ToList();
        if (domain.Count == 0)
        {
            return;
        }

        var heads = new Dictionary<Guid, AuditChainHead>();
        var orgIds = domain.Select(e => ((IDomainEvent)e.Data).OrgId).Distinct().ToArray();
        foreach (var head in await operations.LoadManyAsync<AuditChainHead>(cancellation, orgIds))
        {
            heads[head.Id] = head;
        }

        var workspaces = await WorkspacesOfAsync(operations, domain, cancellation);
        var salts = await SaltsAsync(operations, domain, cancellation);
        foreach (var e in domain)
        {
            var data = (IDomainEvent)e.Data;
            var head = heads.GetValueOrDefault(data.OrgId) ?? new AuditChainHead(data.OrgId, 0, AuditCanonical.Genesis, 0, default);
            var entry = Entry(e, data, head, id => workspaces.GetValueOrDefault(id), salts, operations);
            operations.Store(entry);
            heads[data.OrgId] = new AuditChainHead(data.OrgId, entry.ChainIndex, entry.Hash, entry.Id, entry.RecordedAt);
        }

        operations.Store(heads.Values.ToArray());
    }

    private static AuditEntry Entry(
        IEvent e, IDomainEvent data, AuditChainHead head, Func<Guid, Guid?> workspaceOf, Dictionary<long, AuditPersonalSalt> salts, IDocumentOperations operations)
    {
        var facts = AuditCatalog.Of(data, e.EventTypeName, e.StreamId, workspaceOf);
        string? salt = null, commitment = null;
        var personal = facts.Personal;
        var masked = false;
        if (Header(e, CommitmentHeader) is { } pinned)
        {
            // Masked: the fields are gone from the event, the commitment the chain used was pinned on it when they went.
            (commitment, personal, masked) = (pinned, null, true);
        }
        else if (personal is not null)
        {
            if (!salts.TryGetValue(e.Sequence, out var known))
            {
                known = new AuditPersonalSalt(e.Sequence, data.OrgId, AuditCanonical.NewSalt());
                operations.Store(known);
            }

            salt = known.Salt;
            commitment = AuditCanonical.Commitment(salt, personal);
        }

        var entry = new AuditEntry
        {
            Id = e.Sequence,
            OrgId = data.OrgId,
            ChainIndex = head.Index + 1,
            EventId = e.Id,
            StreamId = e.StreamId,
            StreamVersion = e.Version,
            EventType = e.EventTypeName,
            Action = facts.Action,
            Outcome = facts.Outcome,
            RecordedAt = e.Timestamp,
            OccurredAt = data.At,
            Actor = data.Actor,
            ActorRole = Header(e, WriteContext.ActorRoleHeader),
            ActorKind = AuditCatalog.KindOf(data.Actor),
            CorrelationId = e.CorrelationId,
            CausationId = e.CausationId,
            WorkspaceId = facts.WorkspaceId,
            TargetType = facts.TargetType,
            TargetId = facts.TargetId,
            Detail = facts.Detail,
            Personal = personal,
            PersonalSalt = salt,
            PersonalCommitment = commitment,
            PersonalMasked = masked,
            Summary = data.Describe(),
            PreviousHash = head.Hash,
        };
        return entry with { Hash = AuditCanonical.HashOf(entry) };
    }

    /// <summary>Dev-link and grant events after the first do not name their workspace: their inline snapshots do.</summary>
    private static async Task<Dictionary<Guid, Guid?>> WorkspacesOfAsync(IDocumentOperations operations, List<IEvent> events, CancellationToken ct)
    {
        var links = events.Where(e => e.Data is IDevLinkEvent and not DevLinkIssued).Select(e => ((IDevLinkEvent)e.Data).LinkId).Distinct().ToArray();
        var grants = events.Where(e => e.Data is IElevationEvent and not ElevationRequested).Select(e => ((IElevationEvent)e.Data).GrantId).Distinct().ToArray();
        var map = new Dictionary<Guid, Guid?>();
        if (links.Length > 0)
        {
            foreach (var link in await operations.LoadManyAsync<DevLink>(ct, links))
            {
                map[link.Id] = link.WorkspaceId;
            }
        }

        if (grants.Length > 0)
        {
            foreach (var grant in await operations.LoadManyAsync<RootElevation>(ct, grants))
            {
                map[grant.Id] = grant.WorkspaceId;
            }
        }

        return map;
    }

    /// <summary>Salts already drawn for these events (on a rebuild: all of them), so a commitment never changes.</summary>
    private static async Task<Dictionary<long, AuditPersonalSalt>> SaltsAsync(IDocumentOperations operations, List<IEvent> events, CancellationToken ct)
    {
        var sequences = events
            .Where(e => AuditCatalog.Of((IDomainEvent)e.Data, e.EventTypeName, e.StreamId, _ => null).Personal is not null)
            .Select(e => e.Sequence).ToArray();
        return sequences.Length == 0
            ? []
            : (await operations.LoadManyAsync<AuditPersonalSalt>(ct, sequences)).ToDictionary(s => s.Id);
    }

    private static string? Header(IEvent e, string key) => e.GetHeader(key) switch
    {
        null => null,
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString(),
        JsonElement { ValueKind: JsonValueKind.Null } => null,
        var other => other.ToString(),
    };
}
