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
}
