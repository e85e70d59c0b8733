using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.DevLinks;

/// <summary>
/// Who may open a link, beyond holding it: named members of the link's org, and everyone holding one of the named roles
/// (EnvForge's roles are an org's groups). A link without an audience opens for anyone with the link. Whoever opens a
/// link with an audience signs in to EnvForge first, and must still be a member of the org, and still in the audience,
/// on every request.
/// </summary>
public sealed record DevLinkAudience(IReadOnlyList<string> Users, IReadOnlyList<Role> Roles)
{
    public const int MaxUsers = 50;

    public const int MaxSubjectLength = 200;

    /// <summary>A current member (<paramref name="role"/> is their role now; null when they are not a member) named by user or role.</summary>
    public bool Allows(string subject, Role? role) => role is { } r && (Users.Contains(subject, StringComparer.Ordinal) || Roles.Contains(r));

    /// <summary>Distinct, in a stable order; null (anyone with the link) when it names nobody.</summary>
    public static DevLinkAudience? Normalize(IReadOnlyList<string>? users, IReadOnlyList<Role>? roles)
    {
        IReadOnlyList<string> u = [.. (users ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        IReadOnlyList<Role> r = [.. (roles ?? []).Distinct().Order()];
        return u.Count == 0 && r.Count == 0 ? null : new DevLinkAudience(u, r);
    }

    /// <summary>Equal by content (records compare lists by reference).</summary>
    public static bool Same(DevLinkAudience? a, DevLinkAudience? b) =>
        a is null || b is null ? a is null && b is null : a.Users.SequenceEqual(b.Users, StringComparer.Ordinal) && a.Roles.SequenceEqual(b.Roles);

    /// <summary>Null when every named user is a current member (<paramref name="members"/>) and the lists are in bounds.</summary>
    public Common.Rejection? Validate(IReadOnlySet<string> members) => this switch
    {
        _ when Users.Count > MaxUsers => DevLinkRejections.AudienceTooLarge,
        _ when Users.Any(u => string.IsNullOrWhiteSpace(u) || u.Length > MaxSubjectLength) => DevLinkRejections.AudienceUserInvalid,
        _ when Roles.Any(r => !Enum.IsDefined(r)) => DevLinkRejections.AudienceRoleInvalid,
        _ when Users.FirstOrDefault(u => !members.Contains(u)) is { } stranger => DevLinkRejections.AudienceUserNotMember(stranger),
        _ => null,
    };

    public string Describe() => string.Join(", ", [.. Users, .. Roles.Select(r => $"every {r}")]);
}
