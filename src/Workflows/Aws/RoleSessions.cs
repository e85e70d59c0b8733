using System.Text;

namespace EnvForge.Workflows.Aws;

/// <summary>Session policy for assumed roles: how long a session lives and how it is named in the customer's CloudTrail.</summary>
public static class RoleSessions
{
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(1);

    /// <summary>EnvForge's own ceiling: provisioning re-assumes when a run outlives its session, so longer is never needed.</summary>
    public static readonly TimeSpan MaximumDuration = TimeSpan.FromHours(4);

    /// <summary>AWS caps a session assumed by a role (role chaining) at one hour, whatever the role's maximum says.</summary>
    public static readonly TimeSpan ChainedMaximumDuration = TimeSpan.FromHours(1);

    /// <summary>STS rejects DurationSeconds below 900.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(15);

    private const int MaxNameLength = 64;

    /// <summary>
    /// The session duration to ask STS for: the request (default 1 h) clamped to 15 min .. 4 h, or .. 1 h when the platform's
    /// own identity is a role, in whole seconds. Clamping rather than refusing: a too-long request still gets a working session.
    /// </summary>
    public static TimeSpan Duration(TimeSpan? requested, bool platformIsRole)
    {
        var maximum = platformIsRole ? ChainedMaximumDuration : MaximumDuration;
        var duration = requested ?? DefaultDuration;
        if (duration > maximum)
        {
            duration = maximum;
        }

        if (duration < MinimumDuration)
        {
            duration = MinimumDuration;
        }

        return TimeSpan.FromSeconds(Math.Floor(duration.TotalSeconds));
    }

    /// <summary>
    /// A RoleSessionName that says which workspace and who asked, e.g. <c>ws-0190c0de-...-alice@example.com</c>. STS allows
    /// 2..64 characters of <c>[A-Za-z0-9_+=,.@-]</c>; anything else becomes '-', and the requester is cut to fit.
    /// </summary>
    public static string Name(Guid workspaceId, string requester)
    {
        var prefix = $"ws-{workspaceId:D}-";
        var room = MaxNameLength - prefix.Length;
        var who = new StringBuilder(room);
        foreach (var c in string.IsNullOrWhiteSpace(requester) ? "unknown" : requester.Trim())
        {
            if (who.Length == room)
            {
                break;
            }

            who.Append(IsAllowed(c) ? c : '-');
        }

        return prefix + who;
    }

    /// <summary>True for a name STS accepts (what <see cref="Name"/> always produces).</summary>
    public static bool IsValidName(string name) =>
        name.Length is >= 2 and <= MaxNameLength && name.All(IsAllowed);

    // STS's \w is ASCII only: a Unicode letter is rejected with a ValidationError.
    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-';
}
