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
            [
                "organization.aws_connected.v1", "organization.aws_disconnected.v1", "organization.dev_link_policy_changed.v1",
                "organization.member_added.v1", "organization.member_removed.v1", "organization.member_role_changed.v1", "organization.registered.v1", "organization.root_policy_changed.v1",
                "organization.secret_set.v1", "organization.workspace_policy_changed.v1",
            ],
            organization);
    }

    [Fact]
    public void Workspace_event_names_are_stable()
    {
        var workspace = Names.Where(n => n.Name.StartsWith("workspace.", StringComparison.Ordinal)).Select(n => n.Name).Order();
        Assert.Equal(
            [
                "workspace.created.v1", "workspace.destroy_requested.v1", "workspace.placed.v1", "workspace.provisioning_cancelled.v1",
                "workspace.provisioning_failed.v1", "workspace.provisioning_started.v1", "workspace.provisioning_step_completed.v1",
                "workspace.ready.v1", "workspace.resources_destroyed.v1", "workspace.slept.v1", "workspace.woke.v1",
            ],
            workspace);
    }

    [Fact]
    public void Elevation_event_names_are_stable()
    {
        var elevation = Names.Where(n => n.Name.StartsWith("elevation.", StringComparison.Ordinal)).Select(n => n.Name).Order();
        Assert.Equal(
            [
                "elevation.activated.v1", "elevation.approved.v1", "elevation.closed_out.v1", "elevation.denied.v1", "elevation.expired.v1",
                "elevation.requested.v1", "elevation.revoked.v1",
            ],
            elevation);
    }

    [Fact]
    public void Dev_link_event_names_are_stable()
    {
        var links = Names.Where(n => n.Name.StartsWith("dev_link.", StringComparison.Ordinal)).Select(n => n.Name).Order();
        Assert.Equal(
            [
                "dev_link.audience_changed.v1", "dev_link.expired.v1", "dev_link.first_used.v1", "dev_link.issued.v1", "dev_link.revoked.v1",
                "dev_link.rotated.v1", "dev_link.surfaces_changed.v1",
            ],
            links);
    }

    /// <summary>
    /// <c>dev_link.issued.v1</c> gained its audience without a new version: an event stored before then (no "audience"
    /// in its JSON) must still read, as a link for anyone with it. Read with the store's own serializer.
    /// </summary>
    [Fact]
    public void A_dev_link_issued_before_audiences_reads_as_open_to_anyone()
    {
        using var store = Marten.DocumentStore.For(o => EventStore.Configure(o, "Host=127.0.0.1;Database=unused"));
        var serializer = store.Options.Serializer();
        var issued = new Domain.DevLinks.DevLinkIssued(
            Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), "web", "dev", DateTimeOffset.UnixEpoch.AddYears(60),
            [Domain.DevLinks.DevLinkSurface.Web], "k1", new string('A', 64), "dev", DateTimeOffset.UnixEpoch.AddYears(59),
            new Domain.DevLinks.DevLinkAudience(["rev"], []));
        var json = System.Text.Json.Nodes.JsonNode.Parse(serializer.ToJson(issued))!.AsObject();
        var key = json.Select(p => p.Key).Single(k => k.Equals("audience", StringComparison.OrdinalIgnoreCase));
        Assert.NotNull(json[key]); // it is written today...
        json.Remove(key); // ...and was not before

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        var old = serializer.FromJson<Domain.DevLinks.DevLinkIssued>(stream);

        Assert.Null(old.Audience);
        Assert.Equal(issued with { Audience = null }, old with { Surfaces = issued.Surfaces });
        Assert.Null(Domain.DevLinks.DevLink.Evolve(null, old)!.Audience);
    }
}
