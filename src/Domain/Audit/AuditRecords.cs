using EnvForge.Domain.Common;

namespace EnvForge.Domain.Audit;

/// <summary>
/// Facts the audit trail records that belong to no other stream: refusals that matter (bursts of refused dev-link
/// requests, forged webhooks) and the masking of a departed member's personal fields. Each record is a stream of its
/// own with one event, so recording one never contends with the link, wallet or org it is about. None carries a
/// token, a cookie, a path or a signature: only ids, counts and short stable reason codes.
/// </summary>
public interface IAuditRecordEvent : IDomainEvent
{
    Guid RecordId { get; }
}

/// <summary>
/// The gateway refused requests for one link in one window (rate-limited: at most one record per link per window,
/// never one per request). <paramref name="Reasons"/> counts refusals by a short reason code.
/// </summary>
[EventName("audit.dev_link_requests_refused.v1")]
public sealed record DevLinkRequestsRefused(
    Guid RecordId, Guid OrgId, Guid LinkId, Guid WorkspaceId, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, int Count,
    IReadOnlyDictionary<string, int> Reasons, string Actor, DateTimeOffset At) : IAuditRecordEvent
{
    public string Describe() =>
        $"gateway refused {Count} request(s) for dev link {LinkId} between {WindowStart:O} and {WindowEnd:O} ("
        + string.Join(", ", Reasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}: {r.Value}")) + ")";
}

/// <summary>
/// Webhook deliveries refused before anything was applied (a bad signature, a stale timestamp), counted per provider
/// and reason in one window. <paramref name="OrgId"/> is <see cref="Guid.Empty"/> (the platform's own trail): a
/// refused delivery's claims about an org cannot be trusted.
/// </summary>
[EventName("audit.webhook_refused.v1")]
public sealed record WebhookRefused(
    Guid RecordId, Guid OrgId, string Provider, string Reason, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, int Count,
    string Actor, DateTimeOffset At) : IAuditRecordEvent
{
    public string Describe() => $"refused {Count} {Provider} webhook delivery(ies) ({Reason}) between {WindowStart:O} and {WindowEnd:O}";
}

/// <summary>
/// Sign-ins refused in one window, counted per reason (a wrong user name or password, a disabled account, a refresh token
/// of a revoked or unknown session), on the platform's own trail (<paramref name="OrgId"/> is <see cref="Guid.Empty"/>).
/// Never the user name typed (it may hold a password typed in the wrong field) nor anything else from the request.
/// </summary>
[EventName("audit.sign_in_refused.v1")]
public sealed record SignInRefused(
    Guid RecordId, Guid OrgId, string Reason, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, int Count, string Actor, DateTimeOffset At)
    : IAuditRecordEvent
{
    public string Describe() => $"refused {Count} sign-in(s) ({Reason}) between {WindowStart:O} and {WindowEnd:O}";
}

/// <summary>A departed member's personal fields were masked in the events and the trail (the hash chain still verifies).</summary>
[EventName("audit.personal_data_masked.v1")]
public sealed record PersonalDataMasked(Guid RecordId, Guid OrgId, string UserId, int Events, string Actor, DateTimeOffset At) : IAuditRecordEvent
{
    public string Describe() => $"masked the personal fields of former member {UserId} in {Events} event(s)";
}

/// <summary>The state of a record stream: it exists once its one event is on it.</summary>
public sealed record AuditRecord(Guid Id, string Kind);

/// <summary>Record one fact; recording the same record again changes nothing.</summary>
public sealed record RecordAuditFact(IAuditRecordEvent Fact);

public static class AuditRecordDecider
{
    public static Decision Decide(RecordAuditFact command, AuditRecord? state) =>
        state is null ? Decision.Accept(command.Fact) : Decision.None;

    public static AuditRecord? Evolve(AuditRecord? state, IDomainEvent e) =>
        e is IAuditRecordEvent r ? state ?? new AuditRecord(r.RecordId, r.GetType().Name) : state;

    public static Decider<RecordAuditFact, AuditRecord> Decider { get; } = new(Decide, Evolve);
}
