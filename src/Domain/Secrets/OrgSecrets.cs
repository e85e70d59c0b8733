using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.Secrets;

/// <summary>
/// A secret of the org was set in the deployment's local secret store (the Local provider's stand-in for SSM Parameter
/// Store): its SSM-style path and its new version. The value never enters an event.
/// </summary>
[EventName("organization.secret_set.v1")]
public sealed record OrgSecretSet(Guid OrgId, string Path, int Version, string Actor, DateTimeOffset At) : IOrganizationEvent
{
    public string Describe() => $"set secret {Path} (version {Version})";
}

/// <param name="Version">The version the store will hold once this is recorded (the store's current one plus one).</param>
public sealed record SetOrgSecret(Guid OrgId, string Path, int Version, string Actor, DateTimeOffset Now) : IOrganizationCommand
{
    public Memberships Memberships { get; init; } = Memberships.None;
}

/// <summary>The decision on <see cref="SetOrgSecret"/>, called from the Organization decider. Who may set it is the API's check.</summary>
public static class OrgSecretDecider
{
    public const int MaxPathLength = 1011;

    public static Decision Decide(SetOrgSecret command) => command switch
    {
        _ when !IsValidPath(command.Path) => OrgSecretRejections.InvalidPath,
        { Version: < 1 } => OrgSecretRejections.InvalidVersion,
        _ => Decision.Accept(new OrgSecretSet(command.OrgId, command.Path, command.Version, command.Actor, command.Now)),
    };

    /// <summary>An SSM parameter path: <c>/a/b/c</c>, segments of letters, digits, <c>_ . -</c>, no empty or dot-only segment.</summary>
    public static bool IsValidPath(string path)
    {
        if (path.Length is < 2 or > MaxPathLength || path[0] != '/' || path[^1] == '/')
        {
            return false;
        }

        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}

public static class OrgSecretRejections
{
    public static readonly Rejection InvalidPath = new(
        "secret.invalid_path", "A secret path is an SSM parameter path such as /envforge/acme/db: segments of letters, digits, '_', '.' and '-'.",
        RejectionKind.Unprocessable);

    public static readonly Rejection InvalidVersion = new("secret.invalid_version", "A secret version starts at 1.", RejectionKind.Unprocessable);
}
