using EnvForge.Domain.Audit;
using EnvForge.Domain.Organizations;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using Marten.Schema;

namespace EnvForge.Projections.Audit;

public static class AuditStorage
{
    /// <summary>
    /// The audit trail (asynchronous, in the Solo daemon; see README, "Scaling out"), its chain heads, seals and salts,
    /// the indexes every support query shape needs, the record streams, and the masking rules for personal fields.
    /// </summary>
    public static StoreOptions AddAudit(this StoreOptions options)
    {
        // Who wrote each event, in its metadata beside correlation, causation and headers (EnableAll leaves the user name off).
        options.Events.MetadataConfig.UserNameEnabled = true;

        options.Projections.Add(new AuditTrailProjection(), ProjectionLifecycle.Async, AuditTrailProjection.Name, o =>
        {
            o.DeleteViewTypeOnTeardown<AuditEntry>();
            o.DeleteViewTypeOnTeardown<AuditChainHead>();
            o.BatchSize = 1000;
        });
        options.Projections.Add(new AuditRecordProjection(), ProjectionLifecycle.Live);

        // Every support query is "one org, maybe one more field, maybe a time range, in time order": one composite index per
        // shape, on columns duplicated out of the JSON, ending in (recorded_at, id) so the index is also the page's order
        // (AuditTrail.Build). (org, chain position) is unique: a chain never forks; the export walks it.
        options.Policies.ForAllDocuments(m =>
        {
            if (m.DocumentType == typeof(AuditEntry))
            {
                Composite(m, [nameof(AuditEntry.OrgId), nameof(AuditEntry.RecordedAt)], ["org_id", "recorded_at", "id"]);
                Composite(m, [nameof(AuditEntry.ChainIndex)], ["org_id", "chain_index"], unique: true);
                foreach (var (member, column) in new[]
                {
                    (nameof(AuditEntry.Action), "action"), (nameof(AuditEntry.Outcome), "outcome"), (nameof(AuditEntry.Actor), "actor"),
                    (nameof(AuditEntry.WorkspaceId), "workspace_id"), (nameof(AuditEntry.TargetId), "target_id"),
                    (nameof(AuditEntry.StreamId), "stream_id"), (nameof(AuditEntry.CorrelationId), "correlation_id"),
                })
                {
                    Composite(m, [member], ["org_id", column, "recorded_at", "id"]);
                }
            }
            else if (m.DocumentType == typeof(AuditSeal))
            {
                Composite(m, [nameof(AuditSeal.OrgId), nameof(AuditSeal.ToIndex)], ["org_id", "to_index"]);
                Composite(m, [nameof(AuditSeal.FromIndex)], ["org_id", "from_index"], unique: true);
            }
        });
        options.Schema.For<AuditEntry>();
        options.Schema.For<AuditSeal>();
        options.Schema.For<AuditChainHead>();
        options.Schema.For<AuditPersonalSalt>();

        // Personal fields only: what masking a departed member removes from the stored events (see AuditMasking).
        options.Events.AddMaskingRuleForProtectedInformation<MemberAdded>(e => e with { DisplayName = null });
        return options;
    }

    /// <summary>Duplicates members into columns (without single-column indexes of their own) and indexes <paramref name="columns"/> together.</summary>
    private static void Composite(DocumentMapping mapping, string[] members, string[] columns, bool unique = false)
    {
        foreach (var member in members)
        {
            mapping.DuplicateField(member);
        }

        foreach (var single in mapping.Indexes.OfType<DocumentIndex>().Where(i => i.Columns is [var only] && only != "id" && columns.Contains(only)).ToList())
        {
            mapping.Indexes.Remove(single);
        }

        mapping.AddIndex(columns).IsUnique = unique;
    }
}

/// <summary>The state of a record stream, for the command path (live: nothing stored).</summary>
public sealed partial class AuditRecordProjection : SingleStreamProjection<AuditRecord, Guid>
{
    public override AuditRecord? Evolve(AuditRecord? snapshot, Guid id, IEvent e) =>
        e.Data is IAuditRecordEvent r ? AuditRecordDecider.Evolve(snapshot, r) : snapshot;
}
