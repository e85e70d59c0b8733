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
        options.Projections.Add(new AuditTrailProjection(), ProjectionLifecycle.Async, AuditTrailProjection.Name, o =>
        {
            o.DeleteViewTypeOnTeardown<AuditEntry>();
            o.DeleteViewTypeOnTeardown<AuditChainHead>();
            o.BatchSize = 1000;
        });
        options.Projections.Add(new AuditRecordProjection(), ProjectionLifecycle.Live);

        // Every support query is "one org, maybe one more field, newest or oldest first by sequence": one composite
        // index per shape, on columns duplicated out of the JSON. (org, chain index) is unique: a chain never forks.
        options.Schema.For<AuditEntry>()
            .Duplicate(a => a.OrgId, configure: i => i.Columns = ["org_id", "id"])
            .Duplicate(a => a.ChainIndex, configure: i =>
            {
                i.Columns = ["org_id", "chain_index"];
                i.IsUnique = true;
            })
            .Duplicate(a => a.RecordedAt, configure: i => i.Columns = ["org_id", "recorded_at"])
            .Duplicate(a => a.Action, configure: i => i.Columns = ["org_id", "action", "id"])
            .Duplicate(a => a.Outcome, configure: i => i.Columns = ["org_id", "outcome", "id"])
            .Duplicate(a => a.Actor, configure: i => i.Columns = ["org_id", "actor", "id"])
            .Duplicate(a => a.WorkspaceId, configure: i => i.Columns = ["org_id", "workspace_id", "id"])
            .Duplicate(a => a.TargetId, configure: i => i.Columns = ["org_id", "target_id", "id"])
            .Duplicate(a => a.StreamId, configure: i => i.Columns = ["org_id", "stream_id", "id"])
            .Duplicate(a => a.CorrelationId, configure: i => i.Columns = ["org_id", "correlation_id", "id"]);
        options.Schema.For<AuditSeal>()
            .Duplicate(s => s.OrgId, configure: i => i.Columns = ["org_id", "to_index"])
            .Duplicate(s => s.ToIndex)
            .Duplicate(s => s.FromIndex, configure: i =>
            {
                i.Columns = ["org_id", "from_index"];
                i.IsUnique = true;
            });
        options.Schema.For<AuditChainHead>();
        options.Schema.For<AuditPersonalSalt>();

        // Personal fields only: what masking a departed member removes from the stored events (see AuditMasking).
        options.Events.AddMaskingRuleForProtectedInformation<MemberAdded>(e => e with { DisplayName = null });
        return options;
    }
}

/// <summary>The state of a record stream, for the command path (live: nothing stored).</summary>
public sealed partial class AuditRecordProjection : SingleStreamProjection<AuditRecord, Guid>
{
    public override AuditRecord? Evolve(AuditRecord? snapshot, Guid id, IEvent e) =>
        e.Data is IAuditRecordEvent r ? AuditRecordDecider.Evolve(snapshot, r) : snapshot;
}
