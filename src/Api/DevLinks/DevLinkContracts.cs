using EnvForge.Domain.DevLinks;
using FluentValidation;

namespace EnvForge.Api.DevLinks;

public sealed record DevLinkPolicyRequest(int? DefaultExpiryMinutes, int? MaximumExpiryMinutes)
{
    public sealed class Validator : AbstractValidator<DevLinkPolicyRequest>
    {
        public Validator()
        {
            RuleFor(r => r.DefaultExpiryMinutes).NotNull().GreaterThan(0);
            RuleFor(r => r.MaximumExpiryMinutes).NotNull().GreaterThan(0);
        }
    }
}

public sealed record DevLinkPolicyResponse(double DefaultExpiryMinutes, double MaximumExpiryMinutes)
{
    public static DevLinkPolicyResponse From(DevLinkPolicy p) => new(p.DefaultExpiry.TotalMinutes, p.MaximumExpiry.TotalMinutes);
}

/// <param name="ExpiresInMinutes">Null for the org's default.</param>
public sealed record IssueDevLinkRequest(string? Service, List<string>? Surfaces, int? ExpiresInMinutes)
{
    public sealed class Validator : AbstractValidator<IssueDevLinkRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Service).NotEmpty().MaximumLength(40);
            RuleFor(r => r.Surfaces).NotEmpty();
            RuleForEach(r => r.Surfaces).Must(DevLinkSurfaces.IsName).WithMessage(DevLinkSurfaces.Message);
            RuleFor(r => r.ExpiresInMinutes).GreaterThan(0).LessThanOrEqualTo((int)DevLinkPolicy.Ceiling.TotalMinutes * 10);
        }
    }
}

public sealed record SurfacesRequest(List<string>? Surfaces)
{
    public sealed class Validator : AbstractValidator<SurfacesRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Surfaces).NotEmpty();
            RuleForEach(r => r.Surfaces).Must(DevLinkSurfaces.IsName).WithMessage(DevLinkSurfaces.Message);
        }
    }
}

public sealed record RevokeDevLinkRequest(string? Reason)
{
    public sealed class Validator : AbstractValidator<RevokeDevLinkRequest>
    {
        public Validator() => RuleFor(r => r.Reason).MaximumLength(DevLinkDecider.MaxReasonLength);
    }
}

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
    string Origin)
{
    public static DevLinkResponse From(DevLink l, DateTimeOffset now, Gateway.GatewayOptions gateway) => new(
        l.Id, l.OrgId, l.WorkspaceId, l.Service, l.Issuer, l.IssuedAt, l.ExpiresAt, l.Surfaces, l.Generation, l.UsedGenerations.Count > 0,
        l.RevokedAt is not null ? DevLinkStatus.Revoked : l.ExpiredAt is not null || now >= l.ExpiresAt ? DevLinkStatus.Expired : DevLinkStatus.Active,
        l.RevokedAt, l.ExpiredAt, OriginOf(l.Id, gateway));

    /// <summary>The link's origin as its url has it: with the published port, when there is one.</summary>
    private static string OriginOf(Guid linkId, Gateway.GatewayOptions gateway) =>
        $"{gateway.Scheme}://{gateway.LinkHost(linkId)}{(gateway.PublicPort is { } port ? $":{port}" : "")}";
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
