using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
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
/// <param name="Audience">Null (or naming nobody) for anyone with the link.</param>
public sealed record IssueDevLinkRequest(string? Service, List<string>? Surfaces, int? ExpiresInMinutes, AudienceRequest? Audience = null)
{
    public sealed class Validator : AbstractValidator<IssueDevLinkRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Service).NotEmpty().MaximumLength(40);
            RuleFor(r => r.Surfaces).NotEmpty();
            RuleForEach(r => r.Surfaces).Must(DevLinkSurfaces.IsName).WithMessage(DevLinkSurfaces.Message);
            RuleFor(r => r.ExpiresInMinutes).GreaterThan(0).LessThanOrEqualTo((int)DevLinkPolicy.Ceiling.TotalMinutes * 10);
            RuleFor(r => r.Audience!).SetValidator(new AudienceRequest.Validator()).When(r => r.Audience is not null);
        }
    }
}

/// <summary>
/// Who may open a link beyond holding it: org members by subject, and everyone holding one of the roles. Both empty:
/// anyone with the link. Whoever is named signs in to EnvForge to open it (<c>POST /dev-links/open</c>).
/// </summary>
public sealed record AudienceRequest(List<string>? Users, List<string>? Roles)
{
    public DevLinkAudience? ToAudience() => DevLinkAudience.Normalize(Users, [.. (Roles ?? []).Select(Enum.Parse<Role>)]);

    public sealed class Validator : AbstractValidator<AudienceRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Users).Must(u => u is null || u.Distinct(StringComparer.Ordinal).Count() <= DevLinkAudience.MaxUsers)
                .WithMessage($"Name at most {DevLinkAudience.MaxUsers} users; share with a role instead.");
            RuleForEach(r => r.Users).NotEmpty().MaximumLength(DevLinkAudience.MaxSubjectLength);
            RuleForEach(r => r.Roles).Must(r => EnumNames.IsName<Role>(r)).WithMessage($"Roles are: {string.Join(", ", Enum.GetNames<Role>())}.");
        }
    }
}

/// <summary>The link token from the link's URL, exchanged (signed in) for a one-use ticket that opens the link.</summary>
public sealed record OpenDevLinkRequest(string? Token)
{
    public sealed class Validator : AbstractValidator<OpenDevLinkRequest>
    {
        public Validator() => RuleFor(r => r.Token).NotEmpty().MaximumLength(256);
    }
}

/// <summary>Where to send the browser, once and within a minute, to open the link signed in.</summary>
public sealed record OpenDevLinkResponse(Guid LinkId, string Url, DateTimeOffset ExpiresAt);

public sealed record DevLinkAudienceResponse(IReadOnlyList<string> Users, IReadOnlyList<Role> Roles);

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
