using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;
using Npgsql;

namespace EnvForge.Tests.Audit;

/// <summary>
/// Every support query shape is answered in its page order straight from an index: PostgreSQL's plan for each has no
/// sort of what matched (a sort is what made a burst's time window slow: it sorted the whole window to return 50).
/// Sequential scans and sorts are priced out, so a shape without an index that yields its order shows a Sort node. And
/// each filter and bound is an index condition, not a filter applied to rows walked (walking the org's sequence index up
/// to where a window starts is the other way a burst's window was slow).
/// </summary>
public sealed class AuditQueryPlanTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset From = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Shapes() => [.. ShapeTable.Keys];

    // Each shape, and the columns its index range must be bounded by (beside org_id).
    private static readonly Dictionary<string, (AuditQuery Query, string[] Bounds)> ShapeTable = new()
    {
        ["org"] = (new(), []),
        ["action"] = (new(Action: "elevation.denied"), ["action"]),
        ["outcome"] = (new(Outcome: AuditOutcomes.Denied), ["outcome"]),
        ["actor"] = (new(Actor: "alice"), ["actor"]),
        ["workspace"] = (new(WorkspaceId: Guid.NewGuid()), ["workspace_id"]),
        ["target"] = (new(TargetType: "dev_link", TargetId: "link-1"), ["target_id"]),
        ["stream"] = (new(StreamId: Guid.NewGuid()), ["stream_id"]),
        ["correlation"] = (new(CorrelationId: "c-1"), ["correlation_id"]),
        ["time range"] = (new(From: From, To: From.AddMinutes(1)), ["recorded_at"]),
        ["from only"] = (new(From: From), ["recorded_at"]),
        ["actor + time range"] = (new(Actor: "alice", From: From, To: From.AddMinutes(10)), ["actor", "recorded_at"]),
        ["action + outcome + time range"] = (new(Action: "elevation.denied", Outcome: AuditOutcomes.Denied, From: From, To: From.AddHours(1)), ["recorded_at"]),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Each_shape_reads_its_page_in_order_from_an_index_both_ways_and_after_a_cursor(string shape)
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(AuditQueryPlanTests));
        await using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var session = store.QuerySession();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using (var settings = new NpgsqlCommand("set enable_seqscan = off; set enable_sort = off; set enable_incremental_sort = off", connection))
        {
            await settings.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var cursor = new AuditPosition(From.AddSeconds(30), 12345);
        foreach (var (newest, after) in new[] { (false, (AuditPosition?)null), (true, null), (false, cursor), (true, cursor) })
        {
            var (shapeQuery, bounds) = ShapeTable[shape];
            var q = shapeQuery with { Newest = newest };
            await using var command = AuditTrail.Build(session, Guid.NewGuid(), q, after).Take(51).ToCommand();
            command.Connection = connection;
            command.CommandText = "explain " + command.CommandText;
            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
            {
                while (await reader.ReadAsync(TestContext.Current.CancellationToken))
                {
                    plan.Add(reader.GetString(0));
                }
            }

            var text = string.Join("\n", plan);
            var label = $"{shape}, {(newest ? "newest" : "oldest")} first{(after is null ? "" : ", after a cursor")}:\n{text}";
            Assert.True(!text.Contains("Sort", StringComparison.Ordinal), $"sorts what matched: {label}");
            Assert.True(text.Contains("Index Scan", StringComparison.Ordinal) && !text.Contains("Seq Scan", StringComparison.Ordinal), $"no index scan: {label}");
            var condition = plan.FirstOrDefault(line => line.TrimStart().StartsWith("Index Cond:", StringComparison.Ordinal)) ?? "";
            foreach (var column in after is null ? bounds : [.. bounds, "recorded_at"])
            {
                Assert.True(condition.Contains(column, StringComparison.Ordinal), $"{column} is not an index condition: {label}");
            }
        }
    }
}
