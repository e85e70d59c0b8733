using EnvForge.Projections.Infrastructure;
using Npgsql;

namespace EnvForge.Tests.CommandPath;

/// <summary>The connection settings the command path adds to what it is given, and what it leaves alone.</summary>
public sealed class WritePathConnectionTests
{
    private static NpgsqlConnectionStringBuilder Tuned(string connectionString) => new(WritePath.Connection(connectionString));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("::1")]
    [InlineData("/var/run/postgresql")]
    [InlineData("127.0.0.1:5433,localhost")]
    public void A_database_on_this_machine_is_reached_without_tls(string host) =>
        Assert.Equal(SslMode.Disable, Tuned($"Host={host};Username=envforge").SslMode);

    [Theory]
    [InlineData("db.internal")]
    [InlineData("10.0.0.5")]
    [InlineData("127.0.0.1,db.internal")]
    public void A_database_elsewhere_keeps_npgsqls_tls_default(string host) =>
        Assert.Equal(new NpgsqlConnectionStringBuilder().SslMode, Tuned($"Host={host};Username=envforge").SslMode);

    [Fact]
    public void What_the_connection_string_says_wins()
    {
        var given = Tuned("Host=127.0.0.1;Username=envforge;SSL Mode=Require;Max Auto Prepare=5;No Reset On Close=false");

        Assert.Equal((SslMode.Require, 5, false), (given.SslMode, given.MaxAutoPrepare, given.NoResetOnClose));
    }

    [Fact]
    public void Statements_are_prepared_and_connections_not_reset_unless_told_otherwise()
    {
        var tuned = Tuned("Host=db.internal;Username=envforge");

        Assert.Equal((64, true), (tuned.MaxAutoPrepare, tuned.NoResetOnClose));
    }
}
