using EnvForge.Workflows.Aws;

namespace EnvForge.Tests.Aws;

public sealed class RoleSessionsTests
{
    private static readonly Guid WorkspaceId = Guid.Parse("0190c0de-7a1e-7c3b-9f00-0123456789ab");

    [Fact]
    public void Duration_defaults_to_one_hour() =>
        Assert.Equal(TimeSpan.FromHours(1), RoleSessions.Duration(null, platformIsRole: false));

    [Fact]
    public void Duration_keeps_a_request_within_policy() =>
        Assert.Equal(TimeSpan.FromHours(3), RoleSessions.Duration(TimeSpan.FromHours(3), platformIsRole: false));

    [Fact]
    public void Duration_is_capped_at_four_hours() =>
        Assert.Equal(TimeSpan.FromHours(4), RoleSessions.Duration(TimeSpan.FromHours(12), platformIsRole: false));

    [Theory]
    [InlineData(null)]
    [InlineData(3.0)]
    public void Duration_is_capped_at_one_hour_when_the_platform_is_itself_a_role(double? hours) =>
        Assert.Equal(TimeSpan.FromHours(1), RoleSessions.Duration(hours is { } h ? TimeSpan.FromHours(h) : null, platformIsRole: true));

    [Fact]
    public void Duration_is_at_least_the_fifteen_minutes_sts_accepts() =>
        Assert.Equal(TimeSpan.FromMinutes(15), RoleSessions.Duration(TimeSpan.FromMinutes(1), platformIsRole: false));

    [Fact]
    public void Duration_is_whole_seconds() =>
        Assert.Equal(TimeSpan.FromSeconds(5400), RoleSessions.Duration(TimeSpan.FromSeconds(5400.7), platformIsRole: false));

    [Fact]
    public void Session_name_names_the_workspace_and_the_requester()
    {
        var name = RoleSessions.Name(WorkspaceId, "alice@example.com");

        Assert.Equal("ws-0190c0de-7a1e-7c3b-9f00-0123456789ab-alice@example.com", name);
        Assert.True(RoleSessions.IsValidName(name));
    }

    [Theory]
    [InlineData("system:provisioning", "system-provisioning")]
    [InlineData("Jürgen Müller", "J-rgen-M-ller")]
    [InlineData("a/b\\c d", "a-b-c-d")]
    [InlineData("user+tag=1,x.y@z_w-v", "user+tag=1,x.y@z_w-v")]
    [InlineData("", "unknown")]
    [InlineData("   ", "unknown")]
    public void Session_name_replaces_characters_sts_rejects(string requester, string expected)
    {
        var name = RoleSessions.Name(WorkspaceId, requester);

        Assert.Equal($"ws-{WorkspaceId:D}-{expected}", name);
        Assert.Matches(@"^[\w+=,.@-]{2,64}$", name);
        Assert.True(RoleSessions.IsValidName(name));
    }

    [Fact]
    public void Session_name_is_cut_to_the_64_characters_sts_allows()
    {
        var name = RoleSessions.Name(WorkspaceId, "a.very.long.requester.name@an-even-longer-example-domain.example.com");

        Assert.Equal(64, name.Length);
        Assert.StartsWith($"ws-{WorkspaceId:D}-a.very.long.", name, StringComparison.Ordinal);
        Assert.True(RoleSessions.IsValidName(name));
    }
}
