using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;

namespace EnvForge.Domain.DevLinks;

/// <summary>The app surfaces a dev link may open. Nothing else is ever reachable through a link.</summary>
public enum DevLinkSurface
{
    /// <summary>The web app's pages.</summary>
    Web,

    /// <summary>Same-origin <c>/api</c>.</summary>
    Api,

    /// <summary>Static assets (scripts, styles, images, fonts).</summary>
    Assets,

    WebSockets,
}

/// <summary>How long the org's dev links live: the default when the issuer names none, and the most they may ask for.</summary>
public sealed record DevLinkPolicy(TimeSpan DefaultExpiry, TimeSpan MaximumExpiry)
{
    public static readonly TimeSpan MinimumExpiry = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Ceiling = TimeSpan.FromDays(30);

    public static DevLinkPolicy Default { get; } = new(TimeSpan.FromHours(24), TimeSpan.FromDays(7));

    public Rejection? Validate() => this switch
    {
        _ when MaximumExpiry < MinimumExpiry || MaximumExpiry > Ceiling => DevLinkRejections.PolicyOutOfRange,
        _ when DefaultExpiry < MinimumExpiry || DefaultExpiry > MaximumExpiry => DevLinkRejections.PolicyDefaultOutOfRange,
        _ => null,
    };
}

[EventName("organization.dev_link_policy_changed.v1")]
public sealed record DevLinkPolicyChanged(Guid OrgId, DevLinkPolicy Policy, string Actor, DateTimeOffset At) : IOrganizationEvent
{
    public string Describe() =>
        $"set dev link expiry: default {Policy.DefaultExpiry.TotalHours:0.##} h, maximum {Policy.MaximumExpiry.TotalHours:0.##} h";
}

public sealed record SetDevLinkPolicy(Guid OrgId, DevLinkPolicy Policy, string Actor, DateTimeOffset Now) : IOrganizationCommand
{
    public Memberships Memberships { get; init; } = Memberships.None;
}

/// <summary>The decision on <see cref="SetDevLinkPolicy"/>, called from the Organization decider.</summary>
public static class DevLinkPolicyDecider
{
    public static Decision Decide(SetDevLinkPolicy command, Organization state) => OrganizationDecider.MayNotSetPolicy(command.Memberships) switch
    {
        { } refused => refused,
        _ when command.Policy.Validate() is { } invalid => invalid,
        _ when command.Policy == state.DevLinkPolicy => Decision.None,
        _ => Decision.Accept(new DevLinkPolicyChanged(command.OrgId, command.Policy, command.Actor, command.Now)),
    };
}
