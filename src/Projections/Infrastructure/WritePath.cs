using System.Data.Common;
using System.Net;
using JasperFx.Events;
using Marten;
using Npgsql;

namespace EnvForge.Projections.Infrastructure;

/// <summary>
/// How the store is set up for the command path, in one place (README, "Performance": each setting was measured on its
/// own). The decisions themselves live in <see cref="StreamDecisions"/> and <see cref="GroupCommit"/>.
/// </summary>
public static class WritePath
{
    /// <summary>
    /// Marten's event appending:
    /// <list type="bullet">
    /// <item><b>Quick append</b>: one server-side function call per stream appends its events, checks the expected version
    /// before it takes a sequence number, and stamps them with the database's clock (one clock for every API replica, the
    /// one the dev-link feed's gap logic reads). The trade-off: inline projections do not see an event's version or global
    /// sequence while they run. None of EnvForge's inline projections reads either (snapshots and read models are keyed by
    /// stream or by their own keys); the audit trail, which records both, is asynchronous and reads them from the table.</item>
    /// <item><b>The identity map for aggregates</b>: the snapshot <c>FetchForWriting</c> read is the one the inline projection
    /// evolves on commit, instead of loading it again. Safe because every aggregate is an immutable record that nothing
    /// but the projection changes.</item>
    /// </list>
    /// </summary>
    public static void Apply(StoreOptions options)
    {
        options.Events.AppendMode = EventAppendMode.Quick;
        options.Events.UseIdentityMapForAggregates = true;
    }

    /// <summary>
    /// Npgsql settings the command path relies on, unless the connection string says otherwise. A command opens a pooled
    /// connection twice (its read, its append); by default each open resets the session with <c>DISCARD ALL</c>, which
    /// also drops every cached plan, so PostgreSQL plans Marten's append and upsert functions again on every command.
    /// <list type="bullet">
    /// <item><c>Max Auto Prepare</c>: the statements the command path repeats (the stream read, the append function, the
    /// snapshot and member upserts) are prepared once per connection and their plans kept.</item>
    /// <item><c>No Reset On Close</c>: no reset round trip when a connection goes back to the pool. EnvForge sets no session
    /// state (no SET, temporary tables, session advisory locks or LISTEN on pooled connections; a transaction still open is
    /// rolled back by Npgsql regardless), so there is nothing to reset.</item>
    /// <item><c>SSL Mode=Disable</c> when every host is this machine (a loopback address, <c>localhost</c> or a Unix socket
    /// directory): TLS there protects nothing that leaves the machine, and cost the API and PostgreSQL a share of their CPU
    /// on every command (README, "Write path: performance"). Any other host keeps Npgsql's default.</item>
    /// </list>
    /// </summary>
    public static string Connection(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Given(params string[] keys) => keys.Any(given.ContainsKey);
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Given("Max Auto Prepare", "MaxAutoPrepare"))
        {
            tuned.MaxAutoPrepare = 64;
        }

        if (!Given("No Reset On Close", "NoResetOnClose"))
        {
            tuned.NoResetOnClose = true;
        }

        if (!Given("SSL Mode", "SslMode") && IsThisMachine(tuned.Host))
        {
            tuned.SslMode = SslMode.Disable;
        }

        return tuned.ConnectionString;
    }

    private static bool IsThisMachine(string? hosts) =>
        !string.IsNullOrWhiteSpace(hosts) && hosts.Split(',').Select(h => h.Trim()).All(host =>
            host.StartsWith('/') || IsLoopback(host) || (host.LastIndexOf(':') is > 0 and var port && IsLoopback(host[..port])));

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
