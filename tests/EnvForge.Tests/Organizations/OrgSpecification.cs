using System.Collections.Immutable;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Organizations;

/// <summary>An org stream's state with its member directory beside it, both folded from the same events.</summary>
public sealed record OrgState(Organization Org, ImmutableDictionary<string, Membership> Members);

/// <summary>
/// Specifications of the Organization decider: the member directory is folded from the given events beside the state, and
/// each command is decided with the memberships the command path would read by key (the actor's, and the member's it is
/// about), so a specification reads as the org's history and a command, as before the snapshot stopped holding members.
/// </summary>
public static class OrgSpecification
{
    public static DeciderSpecification<OrgState, IOrganizationEvent, IOrganizationCommand> Spec() => new(Decide, Evolve);

    public static OrgState? Evolve(OrgState? state, IOrganizationEvent @event) =>
        Organization.Evolve(state?.Org, @event) is { } org ? new OrgState(org, Apply(state?.Members ?? [], @event)) : null;

    public static Decision Decide(IOrganizationCommand command, OrgState? state) =>
        OrganizationDecider.Decide(WithMemberships(command, state?.Members ?? []), state?.Org);

    /// <summary>The state after <paramref name="events"/>, from nothing.</summary>
    public static OrgState? Fold(IEnumerable<IOrganizationEvent> events) => events.Aggregate((OrgState?)null, Evolve);

    /// <summary>The command with the memberships it touches, as read from <paramref name="members"/>.</summary>
    public static T WithMemberships<T>(T command, IReadOnlyDictionary<string, Membership> members)
        where T : IOrganizationCommand
    {
        Memberships Of(string actor, string? member = null) => new(members.GetValueOrDefault(actor), member is null ? null : members.GetValueOrDefault(member));
        IOrganizationCommand filled = command switch
        {
            RegisterOrganization c => c with { Memberships = Of(c.Actor) },
            AddMember c => c with { Memberships = Of(c.Actor, c.UserId) },
            ChangeMemberRole c => c with { Memberships = Of(c.Actor, c.UserId) },
            RemoveMember c => c with { Memberships = Of(c.Actor, c.UserId) },
            ConnectAws c => c with { Memberships = Of(c.Actor) },
            DisconnectAws c => c with { Memberships = Of(c.Actor) },
            SetWorkspacePolicy c => c with { Memberships = Of(c.Actor) },
            SetRootPolicy c => c with { Memberships = Of(c.Actor) },
            SetDevLinkPolicy c => c with { Memberships = Of(c.Actor) },
            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "an org command the specification does not know"),
        };
        return (T)filled;
    }

    /// <summary>What the member directory projection does with the event, as a dictionary.</summary>
    private static ImmutableDictionary<string, Membership> Apply(ImmutableDictionary<string, Membership> members, IOrganizationEvent @event) => @event switch
    {
        MemberAdded e => members.SetItem(e.UserId, new Membership(e.Role, e.DisplayName)),
        MemberRoleChanged e => members.SetItem(e.UserId, members[e.UserId] with { Role = e.To }),
        MemberRemoved e => members.Remove(e.UserId),
        _ => members,
    };
}
