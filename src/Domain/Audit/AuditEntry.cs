namespace EnvForge.Domain.Audit;

/// <summary>
/// One entry of an org's audit trail: one per event, in event order, with a stable action code, an outcome, the
/// workspace and target it is about, a secret-free structured detail, who acted (user and role, or the workflow step)
/// and as part of what (correlation, causation). <see cref="ChainIndex"/> is the entry's place in the org's hash chain,
/// <see cref="Hash"/> covers the previous entry's hash and this entry's canonical form (see <see cref="AuditCanonical"/>).
/// The id is the event's global sequence. Personal fields are kept apart (<see cref="Personal"/>) and enter the hash
/// only as a salted commitment, so masking them leaves the chain verifiable.
/// </summary>
public sealed record AuditEntry
{
    /// <summary>The event's global sequence: the order auditors replay in, and the key cursors page by.</summary>
    public long Id { get; init; }

    public Guid OrgId { get; init; }

    /// <summary>1-based position in the org's chain: no gap, no repeat.</summary>
    public long ChainIndex { get; init; }

    public Guid EventId { get; init; }

    public Guid StreamId { get; init; }

    public long StreamVersion { get; init; }

    /// <summary>The event's stable stored name (<c>organization.member_added.v1</c>).</summary>
    public string EventType { get; init; } = "";

    /// <summary>The stable action code (<c>organization.member_added</c>); see the README's table.</summary>
    public string Action { get; init; } = "";

    /// <summary>One of <see cref="AuditOutcomes"/>.</summary>
    public string Outcome { get; init; } = AuditOutcomes.Success;

    /// <summary>When the event was stored: assigned by the server, never by a caller.</summary>
    public DateTimeOffset RecordedAt { get; init; }

    /// <summary>When the decision was made, by the server's clock (the event's own time).</summary>
    public DateTimeOffset OccurredAt { get; init; }

    public string Actor { get; init; } = "";

    /// <summary>The role the actor acted in, for a user acting through the API; null for workflow steps and the gateway.</summary>
    public string? ActorRole { get; init; }

    /// <summary><c>user</c>, <c>system</c> (a workflow step), <c>gateway</c> or <c>webhook</c>.</summary>
    public string ActorKind { get; init; } = "user";

    /// <summary>One per request (its trace id) or workflow run.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>What caused the write within the correlation (the activity), when known.</summary>
    public string? CausationId { get; init; }

    public Guid? WorkspaceId { get; init; }

    public string TargetType { get; init; } = "";

    public string TargetId { get; init; } = "";

    /// <summary>Secret-free facts of the event, by name (the canonical form orders keys ordinally).</summary>
    public Dictionary<string, string> Detail { get; init; } = [];

    /// <summary>Personal fields (display names): null when the event has none or once they are masked.</summary>
    public Dictionary<string, string>? Personal { get; init; }

    /// <summary>Hex salt of <see cref="PersonalCommitment"/>; null once masked.</summary>
    public string? PersonalSalt { get; init; }

    /// <summary>Hex SHA-256 over the salt and the personal fields: what the hash covers instead of the fields themselves.</summary>
    public string? PersonalCommitment { get; init; }

    public bool PersonalMasked { get; init; }

    /// <summary>A one-line reading of the event for people; not part of the hash (the structured fields are).</summary>
    public string Summary { get; init; } = "";

    public string PreviousHash { get; init; } = AuditCanonical.Genesis;

    public string Hash { get; init; } = "";

    public long Sequence => Id;
}

/// <summary>The outcomes an entry can have; a query names one of these.</summary>
public static class AuditOutcomes
{
    public const string Success = "success";

    /// <summary>Someone with the authority said no (an elevation denied).</summary>
    public const string Denied = "denied";

    /// <summary>Time ran out before it could happen (an elevation with no decision in time).</summary>
    public const string Expired = "expired";

    /// <summary>It was attempted and did not work (provisioning failed, root could not be put in place).</summary>
    public const string Failed = "failed";

    /// <summary>Refused at the door before anything was applied (forged webhooks, refused gateway requests).</summary>
    public const string Refused = "refused";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { Success, Denied, Expired, Failed, Refused };
}

/// <summary>The end of an org's chain as the projection left it: the next entry links to <see cref="Hash"/>.</summary>
public sealed record AuditChainHead(Guid Id, long Index, string Hash, long LastSequence, DateTimeOffset LastRecordedAt);

/// <summary>
/// The salt of one entry's personal commitment, kept outside the projection's own documents so a rebuild finds the same
/// salt and so the same commitment. Deleted when the fields are masked (the commitment is then pinned on the event).
/// </summary>
public sealed record AuditPersonalSalt(long Id, Guid OrgId, string Salt);

/// <summary>
/// A signed digest over an org's chain: "the entry at <see cref="ToIndex"/> has hash <see cref="ChainHash"/>", which by
/// the chain vouches for every entry up to it. Written by the projector's AuditSealer at intervals, signed with a key of
/// the audit signing key ring (private keys outside the database). Not a projection document: a rebuild keeps seals,
/// and the rebuilt chain must match them.
/// </summary>
public sealed record AuditSeal
{
    public string Id { get; init; } = "";

    public Guid OrgId { get; init; }

    public long FromIndex { get; init; }

    public long ToIndex { get; init; }

    public string ChainHash { get; init; } = "";

    public DateTimeOffset SealedAt { get; init; }

    public string KeyId { get; init; } = "";

    public string Algorithm { get; init; } = AuditSigningKeys.Algorithm;

    /// <summary>Base64 signature over <see cref="AuditCanonical.SealPayload"/>.</summary>
    public string Signature { get; init; } = "";

    public static string IdOf(Guid orgId, long toIndex) => $"{orgId:N}-{toIndex:D12}";
}
