using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;

namespace EnvForge.Api.DevLinks;

public sealed record DevLinkPolicyResponse(double DefaultExpiryMinutes, double MaximumExpiryMinutes)
{
    public static DevLinkPolicyResponse From(DevLinkPolicy p) => new(p.DefaultExpiry.TotalMinutes, p.MaximumExpiry.TotalMinutes);
}

public sealed record DevLinkAudienceResponse(IReadOnlyList<string> Users, IReadOnlyList<Role> Roles);

public enum DevLinkStatus
{
    Active,
    Revoked,
    Expired,
}

/// <summary>A link as its org's members see it: never its token (shown once, at issue or rotation).</summary>
public sealed record DevLinkResponse(
    Guid Id, Guid OrgId, Guid WorkspaceId, string Service, string Issuer, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt,
    IReadOnlyList<DevLinkSurface> Surfaces, int Generation, bool Used, DevLinkStatus Status, DateTimeOffset? RevokedAt, DateTimeOffset? ExpiredAt,
    string Origin, DevLinkAudienceResponse? Audience)
{
    public static DevLinkResponse From(DevLink l, DateTimeOffset now, Gateway.GatewayOptions gateway) => new(
        l.Id, l.OrgId, l.WorkspaceId, l.Service, l.Issuer, l.IssuedAt, l.ExpiresAt, l.Surfaces, l.Generation, l.UsedGenerations.Count > 0,
        l.RevokedAt is not null ? DevLinkStatus.Revoked : l.ExpiredAt is not null || now >= l.ExpiresAt ? DevLinkStatus.Expired : DevLinkStatus.Active,
        l.RevokedAt, l.ExpiredAt, gateway.Origin(l.Id), l.Audience is { } a ? new DevLinkAudienceResponse(a.Users, a.Roles) : null);
}

/// <summary>The answer to issue and rotate: the only time the token (inside <paramref name="Url"/>) is shown.</summary>
public sealed record IssuedDevLinkResponse(DevLinkResponse Link, string Url);

public sealed record DevLinkPage(IReadOnlyList<DevLinkResponse> Items, string? NextCursor);

internal static class DevLinkSurfaces
{
    private static readonly string[] Names = Enum.GetNames<DevLinkSurface>();

    public static readonly string Message = $"Surfaces are: {string.Join(", ", Names)}.";

    /// <summary>
    /// Exactly one surface's name. Not <c>Enum.TryParse</c>: it also takes numbers and comma lists ("Api,Assets" is the
    /// bitwise OR of their values, which is WebSockets), so a link could be given a surface nobody named.
    /// </summary>
    public static bool IsName(string? name) => name is not null && Names.Contains(name, StringComparer.Ordinal);

    public static List<DevLinkSurface> Parse(IEnumerable<string> names) => [.. names.Select(Enum.Parse<DevLinkSurface>)];
}
