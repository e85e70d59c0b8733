using EnvForge.Domain.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Organizations;
using Marten;

namespace EnvForge.Projections.Audit;

public enum MaskingStatus
{
    Masked,

    /// <summary>No such member was ever recorded in this org.</summary>
    UnknownMember,

    /// <summary>Still a member: only a departed member's fields are masked.</summary>
    StillMember,

    /// <summary>The trail has not recorded the member's removal yet; try again in a moment.</summary>
    TrailBehind,
}

/// <summary>
/// Masks a departed member's personal fields (display names), nothing else, and keeps every chain verifiable. For each
/// trail entry that holds them: the entry's commitment is pinned on its event as a header, Marten's masking rule (see
/// <see cref="AuditStorage"/>) removes the fields from the stored event, the entry drops the values and the salt (so the
/// commitment can no longer be tested against guesses), and the salt document goes. The hash never covered the values,
/// only the commitment, so the chain, its seals and earlier exports still verify, and a rebuild reads the pinned
/// commitment from the event. Nothing is deleted from the event store. Repeating it after a crash finishes the job.
/// </summary>
public static class AuditMasking
{
    public static async Task<(MaskingStatus Status, int Events)> MaskAsync(
        IDocumentStore store, Guid orgId, string userId, WriteContext context, DateTimeOffset now, CancellationToken ct)
    {
        await using (var query = store.QuerySession())
        {
            if (await query.LoadAsync<MemberView>(MemberView.KeyOf(orgId, userId), ct) is not null)
            {
                return (MaskingStatus.StillMember, 0);
            }

            var member = query.Query<AuditEntry>().Where(a => a.OrgId == orgId && a.TargetType == "member" && a.TargetId == userId);
            if (!await member.AnyAsync(ct))
            {
                return (MaskingStatus.UnknownMember, 0);
            }

            if (!await member.Where(a => a.Action == "organization.member_removed").AnyAsync(ct))
            {
                return (MaskingStatus.TrailBehind, 0);
            }
        }

        var masked = 0;
        await using var session = store.LightweightSession();
        var entries = await session.Query<AuditEntry>()
            .Where(a => a.OrgId == orgId && a.TargetType == "member" && a.TargetId == userId && a.PersonalCommitment != null && !a.PersonalMasked)
            .ToListAsync(ct);
        foreach (var entry in entries)
        {
            var sequence = entry.Id;
            await store.Advanced.ApplyEventDataMasking(
                m => m.IncludeEvents(e => e.Sequence == sequence).AddHeader(AuditTrailProjection.CommitmentHeader, entry.PersonalCommitment!), ct);
            session.Store(entry with { Personal = null, PersonalSalt = null, PersonalMasked = true });
            session.Delete<AuditPersonalSalt>(entry.Id);
            masked++;
        }

        await session.SaveChangesAsync(ct);
        var recordId = Guid.CreateVersion7(now);
        await StreamDecisions.DecideAsync(store, AuditRecordDecider.Decider, recordId,
            _ => new RecordAuditFact(new PersonalDataMasked(recordId, orgId, userId, masked, context.Actor, now)), context, ct: ct);
        return (MaskingStatus.Masked, masked);
    }
}
