using EnvForge.Domain.Common;

namespace EnvForge.Domain.Sessions;

/// <summary>
/// The events of one Session stream: one sign-in of one person with one client (the CLI, a browser), from its start to
/// its revocation. A session belongs to a person, not to an org, so its events carry <see cref="Guid.Empty"/> as
/// <see cref="IDomainEvent.OrgId"/> (platform scope). No event carries a token, a password or a hash of either: refresh
/// tokens are told apart by their generation, a number.
/// </summary>
public interface ISessionEvent : IDomainEvent
{
    Guid SessionId { get; }
}

/// <summary>Where a request came from, as the server saw it: the remote address and the client's own name for itself.</summary>
public sealed record SessionOrigin(string? Address, string? UserAgent)
{
    public const int MaxUserAgentLength = 200;

    public static SessionOrigin Of(string? address, string? userAgent) =>
        new(address, userAgent is { Length: > MaxUserAgentLength } ? userAgent[..MaxUserAgentLength] : userAgent);

    public override string ToString() => Address ?? "unknown address";
}

/// <param name="Subject">Who signed in (the identity provider's subject).</param>
/// <param name="ClientId">The OAuth client they signed in with (<c>envforge-cli</c>, <c>envforge-web</c>).</param>
/// <param name="Flow">How: <c>device_code</c> or <c>authorization_code</c>.</param>
[EventName("session.started.v1")]
public sealed record SessionStarted(
    Guid SessionId, string Subject, string ClientId, string Flow, SessionOrigin From, string Actor, DateTimeOffset At) : ISessionEvent
{
    public Guid OrgId => Guid.Empty;

    public string Describe() => $"{Subject} signed in with {ClientId} ({Flow}) from {From}";
}

/// <summary>A refresh token of the current generation was exchanged: the session's tokens rotate to <paramref name="Generation"/>.</summary>
[EventName("session.refreshed.v1")]
public sealed record SessionRefreshed(Guid SessionId, int Generation, SessionOrigin From, string Actor, DateTimeOffset At) : ISessionEvent
{
    public Guid OrgId => Guid.Empty;

    public string Describe() => $"session refreshed (refresh token generation {Generation}) from {From}";
}

/// <summary>
/// A refresh token that was already exchanged was presented again: someone holds a copy. The whole session (every token
/// of the family) is revoked in the same decision (<see cref="SessionRevoked"/> follows).
/// </summary>
[EventName("session.refresh_token_reused.v1")]
public sealed record SessionRefreshTokenReused(
    Guid SessionId, int PresentedGeneration, int CurrentGeneration, SessionOrigin From, string Actor, DateTimeOffset At) : ISessionEvent
{
    public Guid OrgId => Guid.Empty;

    public string Describe() =>
        $"refresh token reused (generation {PresentedGeneration} presented, {CurrentGeneration} current) from {From}: the session is revoked";
}

public enum SessionEndReason
{
    /// <summary>Its owner signed out (<c>envforge logout</c>).</summary>
    SignedOut,

    /// <summary>Its owner revoked it from another session.</summary>
    RevokedByOwner,

    /// <summary>An Owner or Admin of an org the person belongs to revoked it.</summary>
    RevokedByAdmin,

    /// <summary>A refresh token was used twice.</summary>
    RefreshTokenReuse,
}

[EventName("session.revoked.v1")]
public sealed record SessionRevoked(Guid SessionId, string Subject, SessionEndReason Reason, string Actor, DateTimeOffset At) : ISessionEvent
{
    public Guid OrgId => Guid.Empty;

    public string Describe() => Reason switch
    {
        SessionEndReason.SignedOut => $"{Subject} signed out",
        SessionEndReason.RefreshTokenReuse => $"session of {Subject} revoked: a refresh token was used twice",
        _ => $"session of {Subject} revoked by {Actor}",
    };
}
