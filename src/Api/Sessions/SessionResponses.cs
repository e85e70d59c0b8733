using EnvForge.Domain.Sessions;

namespace EnvForge.Api.Sessions;

/// <param name="Current">The session the caller's own token belongs to.</param>
public sealed record SessionResponse(
    Guid Id, string Subject, string ClientId, string Flow, DateTimeOffset CreatedAt, string? CreatedFrom, string? UserAgent,
    DateTimeOffset LastUsedAt, string? LastUsedFrom, DateTimeOffset? RevokedAt, SessionEndReason? EndReason, string? RevokedBy, bool Current)
{
    public static SessionResponse From(Session s, Guid? current) => new(
        s.Id, s.Subject, s.ClientId, s.Flow, s.CreatedAt, s.CreatedFrom.Address, s.CreatedFrom.UserAgent, s.LastUsedAt, s.LastUsedFrom.Address,
        s.RevokedAt, s.EndReason, s.RevokedBy, s.Id == current);
}

/// <param name="SessionId">The session of the token used, when it came from a sign-in (operator tokens have none).</param>
public sealed record WhoAmIResponse(string Subject, string? Name, Guid? SessionId, string? Issuer, DateTimeOffset? ExpiresAt);
