using EnvForge.Domain.Common;

namespace EnvForge.Domain.DevLinks;

/// <summary>
/// The events of one DevLink stream. No event carries the link's token or a session cookie: only the key id it was
/// signed with and a SHA-256 hash of it, which is what the gateway compares.
/// </summary>
public interface IDevLinkEvent : IDomainEvent
{
    Guid LinkId { get; }
}

/// <param name="TokenHash">Hex SHA-256 of the token handed to the issuer once; the token itself is never stored.</param>
/// <param name="Audience">Who may open it beyond holding it; null (and absent from events recorded before audiences) for anyone.</param>
[EventName("dev_link.issued.v1")]
public sealed record DevLinkIssued(
    Guid LinkId, Guid OrgId, Guid WorkspaceId, string Service, string Issuer, DateTimeOffset ExpiresAt, IReadOnlyList<DevLinkSurface> Surfaces,
    string KeyId, string TokenHash, string Actor, DateTimeOffset At, DevLinkAudience? Audience = null) : IDevLinkEvent
{
    public string Describe() =>
        $"{Issuer} issued a dev link to {Service} of workspace {WorkspaceId} ({string.Join(", ", Surfaces)}) until {ExpiresAt:O}, for "
        + (Audience is null ? "anyone with the link" : Audience.Describe());
}

/// <summary>The first request the gateway let through with this link (per token generation).</summary>
[EventName("dev_link.first_used.v1")]
public sealed record DevLinkFirstUsed(Guid LinkId, Guid OrgId, int Generation, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => $"dev link opened for the first time (token generation {Generation})" + (Actor == "gateway" ? "" : $" by {Actor}");
}

/// <summary>A new token replaces the old one, which (with every session opened with it) stops working at once.</summary>
[EventName("dev_link.rotated.v1")]
public sealed record DevLinkRotated(Guid LinkId, Guid OrgId, int Generation, string KeyId, string TokenHash, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => $"rotated the dev link's token (generation {Generation}, key {KeyId})";
}

[EventName("dev_link.surfaces_changed.v1")]
public sealed record DevLinkSurfacesChanged(Guid LinkId, Guid OrgId, IReadOnlyList<DevLinkSurface> Surfaces, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => $"changed the dev link's surfaces to {string.Join(", ", Surfaces)}";
}

/// <summary>Who may open the link changed; sessions of people no longer in it stop at their next request.</summary>
[EventName("dev_link.audience_changed.v1")]
public sealed record DevLinkAudienceChanged(Guid LinkId, Guid OrgId, DevLinkAudience? Audience, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => "shared the dev link with " + (Audience is null ? "anyone with the link" : Audience.Describe());
}

[EventName("dev_link.revoked.v1")]
public sealed record DevLinkRevoked(Guid LinkId, Guid OrgId, string? Reason, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => "revoked the dev link" + (Reason is null ? "" : $": {Reason}");
}

[EventName("dev_link.expired.v1")]
public sealed record DevLinkExpired(Guid LinkId, Guid OrgId, DateTimeOffset ExpiresAt, string Actor, DateTimeOffset At) : IDevLinkEvent
{
    public string Describe() => $"dev link expired at {ExpiresAt:O}";
}
