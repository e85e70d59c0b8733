using System.Collections.Immutable;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.DevLinks;

namespace EnvForge.Tests.DevLinks;

/// <summary>The directory tells the gateway whether it may be trusted: loaded, and caught up recently by the monotonic clock.</summary>
public sealed class DevLinkDirectoryTests
{
    private sealed class ManualTimestamps : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void A_directory_that_has_not_caught_up_within_the_limit_is_not_current()
    {
        var time = new ManualTimestamps();
        var directory = new DevLinkDirectory();
        var limit = TimeSpan.FromSeconds(5);
        Assert.False(directory.IsCurrent(time, limit)); // never loaded

        directory.MarkSynced(time.GetTimestamp());
        Assert.False(directory.IsCurrent(time, limit)); // synced but not loaded

        directory.MarkLoaded();
        Assert.True(directory.IsCurrent(time, limit));

        time.Now += TimeSpan.FromSeconds(5).Ticks;
        Assert.True(directory.IsCurrent(time, limit));

        time.Now += 1; // the database has not answered for longer than the limit
        Assert.False(directory.IsCurrent(time, limit));

        directory.MarkSynced(time.GetTimestamp());
        Assert.True(directory.IsCurrent(time, limit));
    }

    private static DevLink Link(Guid org, DevLinkAudience? audience) =>
        new DevLink(Guid.CreateVersion7(), org, Guid.CreateVersion7(), "web", "dev", DateTimeOffset.UtcNow.AddHours(1), [DevLinkSurface.Web], "k1",
            new string('A', 64), DateTimeOffset.UtcNow)
        { Audience = audience };


    [Fact]
    public void A_link_with_an_audience_allows_only_current_members_it_names_and_fails_closed_without_the_members()
    {
        var directory = new DevLinkDirectory();
        var orgId = Guid.CreateVersion7();
        var open = Link(orgId, null);
        var shared = Link(orgId, new DevLinkAudience(["rev"], [Role.Admin]));
        directory.Put(open);
        directory.Put(shared);
        Assert.True(directory.TryGetLink(open.Id, out var openBinding));
        Assert.True(directory.TryGetLink(shared.Id, out var sharedBinding));

        Assert.True(directory.Allows(openBinding, null)); // anyone with the link
        Assert.False(directory.Allows(sharedBinding, "rev")); // the org's members are not known yet: no
        Assert.False(directory.TracksOrg(orgId));

        directory.PutMembers(orgId, [("rev", Role.Viewer), ("ada", Role.Admin), ("sam", Role.Support)]);
        Assert.True(directory.TracksOrg(orgId));
        Assert.True(directory.Allows(sharedBinding, "rev"));
        Assert.True(directory.Allows(sharedBinding, "ada"));
        Assert.False(directory.Allows(sharedBinding, "sam"));
        Assert.False(directory.Allows(sharedBinding, null));
        Assert.False(directory.Allows(sharedBinding, "Rev"));

        directory.PutMembers(orgId, [("ada", Role.Developer), ("sam", Role.Support)]); // rev removed, ada no longer an Admin
        Assert.False(directory.Allows(sharedBinding, "rev"));
        Assert.False(directory.Allows(sharedBinding, "ada"));

        directory.RemoveOrg(orgId);
        Assert.False(directory.TracksOrg(orgId));
    }
}
