namespace EnvForge.Domain.Sessions;

/// <summary>
/// One sign-in: who, with which client, from where, when it was created and last used, and whether it was revoked.
/// <see cref="Generation"/> is the generation of the only refresh token that may still be exchanged.
/// </summary>
public sealed record Session(
    Guid Id, string Subject, string ClientId, string Flow, DateTimeOffset CreatedAt, SessionOrigin CreatedFrom,
    DateTimeOffset LastUsedAt, SessionOrigin LastUsedFrom, int Generation, DateTimeOffset? RevokedAt = null,
    SessionEndReason? EndReason = null, string? RevokedBy = null)
{
    public bool IsRevoked => RevokedAt is not null;

    public static Session? Evolve(Session? state, ISessionEvent e) => (state, e) switch
    {
        (null, SessionStarted s) => new Session(s.SessionId, s.Subject, s.ClientId, s.Flow, s.At, s.From, s.At, s.From, 1),
        (null, _) => null,
        (_, SessionRefreshed r) => state with { Generation = r.Generation, LastUsedAt = r.At, LastUsedFrom = r.From },
        (_, SessionRevoked r) => state with { RevokedAt = r.At, EndReason = r.Reason, RevokedBy = r.Actor },
        _ => state,
    };
}
