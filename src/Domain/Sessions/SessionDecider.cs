using EnvForge.Domain.Common;

namespace EnvForge.Domain.Sessions;

/// <summary>
/// Decisions on a Session stream. Refresh tokens rotate on every use: only the current generation may be exchanged.
/// An older one presented again means a copy exists somewhere, and the whole family is revoked at once (and audited),
/// as OAuth 2.0 Security BCP (RFC 9700, 4.14) asks. A revoked session stays revoked.
/// </summary>
public static class SessionDecider
{
    public static Decider<ISessionCommand, Session> Decider { get; } = new(Decide, (state, e) => e is ISessionEvent typed ? Session.Evolve(state, typed) : state);

    public static Decision Decide(ISessionCommand command, Session? state) => command switch
    {
        StartSession c => Start(c, state),
        _ when state is null => SessionRejections.NotFound,
        RefreshSession c => Refresh(c, state),
        RevokeSession c => Revoke(c, state),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown session command"),
    };

    private static Decision Start(StartSession c, Session? state) => state switch
    {
        null => Decision.Accept(new SessionStarted(c.SessionId, c.Subject, c.ClientId, c.Flow, c.From, c.Actor, c.Now)),
        _ when state.Subject == c.Subject && state.ClientId == c.ClientId => Decision.None,
        _ => SessionRejections.AlreadyExists,
    };

    private static Decision Refresh(RefreshSession c, Session state) => state switch
    {
        _ when state.Subject != c.Subject => SessionRejections.NotFound,
        { IsRevoked: true } => SessionRejections.Revoked,
        _ when c.PresentedGeneration == state.Generation =>
            Decision.Accept(new SessionRefreshed(state.Id, state.Generation + 1, c.From, c.Actor, c.Now)),
        _ => Decision.Accept(
            new SessionRefreshTokenReused(state.Id, c.PresentedGeneration, state.Generation, c.From, c.Actor, c.Now),
            new SessionRevoked(state.Id, state.Subject, SessionEndReason.RefreshTokenReuse, c.Actor, c.Now)),
    };

    private static Decision Revoke(RevokeSession c, Session state) =>
        state.IsRevoked ? Decision.None : Decision.Accept(new SessionRevoked(state.Id, state.Subject, c.Reason, c.Actor, c.Now));
}

public static class SessionRejections
{
    public static readonly Rejection NotFound = new("session.not_found", "No session with this id is visible to you.", RejectionKind.NotFound);

    public static readonly Rejection AlreadyExists = new("session.already_exists", "A session with this id already exists.", RejectionKind.Conflict);

    public static readonly Rejection Revoked = new("session.revoked", "The session was revoked: sign in again.", RejectionKind.Conflict);
}
