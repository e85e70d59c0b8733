namespace EnvForge.Domain.DevLinks;

/// <summary>The state of one DevLink stream.</summary>
public sealed record DevLink(
    Guid Id, Guid OrgId, Guid WorkspaceId, string Service, string Issuer, DateTimeOffset ExpiresAt, IReadOnlyList<DevLinkSurface> Surfaces,
    string KeyId, string TokenHash, DateTimeOffset IssuedAt)
{
    /// <summary>1 at issue; each rotation adds one. Sessions name the generation they were opened with.</summary>
    public int Generation { get; init; } = 1;

    /// <summary>The token generations that have been used at least once.</summary>
    public IReadOnlyList<int> UsedGenerations { get; init; } = [];

    /// <summary>Who may open the link beyond holding it; null for anyone with the link.</summary>
    public DevLinkAudience? Audience { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public DateTimeOffset? ExpiredAt { get; init; }

    /// <summary>Revoked or expired (recorded). The gateway also refuses a link past <see cref="ExpiresAt"/> by its own clock.</summary>
    public bool HasEnded => RevokedAt is not null || ExpiredAt is not null;

    public bool IsUsable(DateTimeOffset now) => !HasEnded && now < ExpiresAt;

    public static DevLink? Evolve(DevLink? state, IDevLinkEvent @event) => @event switch
    {
        DevLinkIssued e => new DevLink(e.LinkId, e.OrgId, e.WorkspaceId, e.Service, e.Issuer, e.ExpiresAt, e.Surfaces, e.KeyId, e.TokenHash, e.At)
        {
            Audience = e.Audience,
        },
        DevLinkFirstUsed e => state! with { UsedGenerations = [.. state.UsedGenerations, e.Generation] },
        DevLinkRotated e => state! with { Generation = e.Generation, KeyId = e.KeyId, TokenHash = e.TokenHash },
        DevLinkSurfacesChanged e => state! with { Surfaces = e.Surfaces },
        DevLinkAudienceChanged e => state! with { Audience = e.Audience },
        DevLinkRevoked e => state! with { RevokedAt = e.At },
        DevLinkExpired e => state! with { ExpiredAt = e.At },
        _ => state,
    };
}
