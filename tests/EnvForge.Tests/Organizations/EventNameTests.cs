using EnvForge.Domain.Common;
using EnvForge.Projections.Infrastructure;

namespace EnvForge.Tests.Organizations;

/// <summary>Stored event names are a contract with auditors' history: unique, versioned, and never renamed by accident.</summary>
public sealed class EventNameTests
{
    private static readonly List<(Type Type, string Name)> Names = EventStore.EventNames(typeof(IDomainEvent).Assembly).ToList();

    [Fact]
    public void Every_event_name_is_unique_and_versioned()
    {
        Assert.Equal(Names.Count, Names.Select(n => n.Name).Distinct().Count());
        Assert.All(Names, n => Assert.Matches(@"^[a-z_]+\.[a-z_]+\.v\d+$", n.Name));
    }

    [Fact]
    public void Organization_event_names_are_stable()
    {
        var organization = Names.Where(n => n.Name.StartsWith("organization.", StringComparison.Ordinal)).Select(n => n.Name).Order();
        Assert.Equal(
            ["organization.member_added.v1", "organization.member_removed.v1", "organization.member_role_changed.v1", "organization.registered.v1"],
            organization);
    }
}
