using System.Net;
using System.Net.Http.Json;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Audit;

public sealed class AuditTrailTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private async Task<Guid> ActivityAsync()
    {
        var owner = Api.ClientFor("alice");
        var org = await (await owner.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<OrganizationResponse>();
        await (await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "audrey", role = "Auditor" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await owner.PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "bob", role = "Developer", displayName = "Bob Builder" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await owner.PutAsync($"/orgs/{org.Id}/members/bob/role", JsonContent.Create(new { role = "Admin" }))).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor("bob").PostJsonAsync($"/orgs/{org.Id}/members", new { userId = "sam", role = "Support" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await owner.DeleteAsync($"/orgs/{org.Id}/members/bob")).AssertStatusAsync(HttpStatusCode.NoContent);

        // Another org's activity must never show up in this org's trail.
        await Api.ClientFor("mallory").PostJsonAsync("/orgs", new { name = "Other" });
        await Api.CatchUpAsync();
        return org.Id;
    }

    private async Task<Page<AuditEntry>> PageAsync(string user, string url) =>
        await (await Api.ClientFor(user).GetAsync(url)).ReadAsync<Page<AuditEntry>>();

    [Fact]
    public async Task Every_event_has_one_coded_entry_in_order_with_actor_role_correlation_and_a_linked_hash()
    {
        var org = await ActivityAsync();

        var page = await PageAsync("audrey", $"/orgs/{org}/audit");

        Assert.Equal(
            ["organization.registered", "organization.member_added", "organization.member_added", "organization.member_added",
             "organization.member_role_changed", "organization.member_added", "organization.member_removed"],
            page.Items.Select(e => e.Action));
        Assert.All(page.Items, e => Assert.Equal(AuditOutcomes.Success, e.Outcome));
        Assert.Equal(["alice", "alice", "alice", "alice", "alice", "bob", "alice"], page.Items.Select(e => e.Actor));
        // Registering, the user had no role yet (the two events of that request); afterwards each acted in the role they held.
        Assert.Equal([null, null, "Owner", "Owner", "Owner", "Admin", "Owner"], page.Items.Select(e => e.ActorRole));
        Assert.All(page.Items, e => Assert.Equal("user", e.ActorKind));
        Assert.All(page.Items, e => Assert.False(string.IsNullOrEmpty(e.CorrelationId)));
        Assert.Equal(page.Items.Count, page.Items.Select(e => e.CorrelationId).Distinct().Count() + 1); // register appends two events in one request
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], page.Items.Select(e => e.ChainIndex));
        Assert.Equal(AuditCanonical.Genesis, page.Items[0].PreviousHash);
        for (var i = 0; i < page.Items.Count; i++)
        {
            Assert.Equal(AuditCanonical.HashOf(page.Items[i]), page.Items[i].Hash);
            if (i > 0)
            {
                Assert.Equal(page.Items[i - 1].Hash, page.Items[i].PreviousHash);
            }
        }

        var roleChange = page.Items[4];
        Assert.Equal("member", roleChange.TargetType);
        Assert.Equal("bob", roleChange.TargetId);
        Assert.Equal(new Dictionary<string, string> { ["userId"] = "bob", ["from"] = "Developer", ["to"] = "Admin" }, roleChange.Detail);
        Assert.Equal("changed bob from Developer to Admin", roleChange.Summary);
        var bobAdded = page.Items[3];
        Assert.Equal(new Dictionary<string, string> { ["displayName"] = "Bob Builder" }, bobAdded.Personal);
        Assert.Equal(AuditCanonical.Commitment(bobAdded.PersonalSalt!, bobAdded.Personal!), bobAdded.PersonalCommitment);
        Assert.DoesNotContain("Bob Builder", bobAdded.Detail.Values);
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task The_correlation_id_is_echoed_in_the_response_and_finds_what_the_request_did()
    {
        var org = await ActivityAsync();
        var response = await Api.ClientFor("alice").PostJsonAsync($"/orgs/{org}/members", new { userId = "carol", role = "Viewer" });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        var correlation = Assert.Single(response.Headers.GetValues("X-Correlation-Id"));
        await Api.CatchUpAsync();

        var page = await PageAsync("alice", $"/orgs/{org}/audit?correlationId={Uri.EscapeDataString(correlation)}");

        var entry = Assert.Single(page.Items);
        Assert.Equal("carol", entry.TargetId);

        // A refusal's ProblemDetails names the same id as its X-Correlation-Id header (and as the events a request appends).
        var refused = await Api.ClientFor("alice").PostJsonAsync($"/orgs/{org}/members", new { userId = "", role = "Viewer" });
        var refusedCorrelation = Assert.Single(refused.Headers.GetValues("X-Correlation-Id"));
        var problem = await refused.AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal(refusedCorrelation, (string?)problem["traceId"]);
    }

    [Fact]
    public async Task Support_queries_filter_by_action_actor_outcome_target_and_time_and_page_with_a_cursor_both_ways()
    {
        var org = await ActivityAsync();

        Assert.Equal(4, (await PageAsync("alice", $"/orgs/{org}/audit?action=organization.member_added")).Items.Count);
        Assert.Single((await PageAsync("alice", $"/orgs/{org}/audit?actor=bob")).Items);
        Assert.Equal(3, (await PageAsync("alice", $"/orgs/{org}/audit?targetType=member&targetId=bob")).Items.Count);
        Assert.Empty((await PageAsync("alice", $"/orgs/{org}/audit?outcome=denied")).Items);
        Assert.Equal(7, (await PageAsync("alice", $"/orgs/{org}/audit?outcome=success")).Items.Count);
        Assert.Equal(7, (await PageAsync("alice", $"/orgs/{org}/audit?streamId={org}")).Items.Count);
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"));
        Assert.Empty((await PageAsync("alice", $"/orgs/{org}/audit?from={future}")).Items);

        var first = await PageAsync("alice", $"/orgs/{org}/audit?limit=4");
        var second = await PageAsync("alice", $"/orgs/{org}/audit?limit=4&cursor={first.NextCursor}");
        Assert.Equal([1L, 2, 3, 4], first.Items.Select(e => e.ChainIndex));
        Assert.Equal([5L, 6, 7], second.Items.Select(e => e.ChainIndex));
        Assert.Null(second.NextCursor);

        var newest = await PageAsync("alice", $"/orgs/{org}/audit?order=desc&limit=5");
        var older = await PageAsync("alice", $"/orgs/{org}/audit?order=desc&limit=5&cursor={newest.NextCursor}");
        Assert.Equal([7L, 6, 5, 4, 3], newest.Items.Select(e => e.ChainIndex));
        Assert.Equal([2L, 1], older.Items.Select(e => e.ChainIndex));
    }

    [Fact]
    public async Task Paging_one_entry_at_a_time_in_time_order_crosses_one_transactions_entries_without_a_gap_or_a_repeat()
    {
        var org = await ActivityAsync();
        var all = (await PageAsync("alice", $"/orgs/{org}/audit")).Items;
        Assert.Equal(all[0].RecordedAt, all[1].RecordedAt); // registering appends two events in one transaction: one time
        Assert.Equal(all.OrderBy(e => e.RecordedAt).ThenBy(e => e.Id).Select(e => e.Id), all.Select(e => e.Id));
        var range = $"from={Uri.EscapeDataString(all[0].RecordedAt.ToString("O"))}&to={Uri.EscapeDataString(all[^1].RecordedAt.AddSeconds(1).ToString("O"))}";

        foreach (var (query, expected) in new[] { ("order=asc", all), ("order=desc", all.Reverse().ToList()), ($"order=asc&{range}", all), ($"order=desc&{range}", all.Reverse().ToList()) })
        {
            var seen = new List<long>();
            string? cursor = null;
            do
            {
                var page = await PageAsync("alice", $"/orgs/{org}/audit?{query}&limit=1{(cursor is null ? "" : $"&cursor={cursor}")}");
                seen.AddRange(page.Items.Select(e => e.Id));
                cursor = page.NextCursor;
            }
            while (cursor is not null && seen.Count <= all.Count);

            Assert.True(expected.Select(e => e.Id).SequenceEqual(seen), $"{query}: expected {string.Join(",", expected.Select(e => e.Id))}, paged {string.Join(",", seen)}");
        }
    }

    [Theory]
    [InlineData("action=organization.member_exploded")]
    [InlineData("action=organization.member_added.v1")]
    [InlineData("outcome=maybe")]
    [InlineData("targetType=planet")]
    [InlineData("order=sideways")]
    [InlineData("limit=201")]
    [InlineData("limit=0")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("cursor=not-a-cursor")]
    [InlineData("cursor=AQ")]
    public async Task Bad_filters_are_400s(string query)
    {
        var org = await ActivityAsync();
        await (await Api.ClientFor("audrey").GetAsync($"/orgs/{org}/audit?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task A_cursor_from_another_org_or_order_or_an_edited_one_is_a_400()
    {
        var org = await ActivityAsync();
        var other = await (await Api.ClientFor("alice").PostJsonAsync("/orgs", new { name = "Second" })).ReadAsync<OrganizationResponse>();
        for (var i = 0; i < 3; i++)
        {
            await Api.ClientFor("alice").PostJsonAsync($"/orgs/{other.Id}/members", new { userId = $"u{i}", role = "Viewer" });
        }

        await Api.CatchUpAsync();
        var cursor = (await PageAsync("alice", $"/orgs/{other.Id}/audit?limit=1")).NextCursor!;
        var client = Api.ClientFor("alice");
        await (await client.GetAsync($"/orgs/{org}/audit?cursor={cursor}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await client.GetAsync($"/orgs/{other.Id}/audit?order=desc&cursor={cursor}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        var edited = cursor[..^2] + (cursor[^2] == 'A' ? 'B' : 'A') + cursor[^1];
        await (await client.GetAsync($"/orgs/{other.Id}/audit?cursor={edited}")).AssertProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await client.GetAsync($"/orgs/{other.Id}/audit?cursor={cursor}")).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("audrey", HttpStatusCode.OK)]
    [InlineData("alice", HttpStatusCode.OK)]
    [InlineData("mallory", HttpStatusCode.NotFound)]
    public async Task Reading_the_trail_needs_ReadAudit_in_that_org(string user, HttpStatusCode expected)
    {
        var org = await ActivityAsync();
        Assert.Equal(expected, (await Api.ClientFor(user).GetAsync($"/orgs/{org}/audit")).StatusCode);
    }

    [Fact]
    public async Task The_trail_lives_in_the_indexes_each_query_shape_needs()
    {
        await ActivityAsync();
        await using var session = Api.Store.QuerySession();
        var indexes = await session.AdvancedSql.QueryAsync<string>(
            "select indexdef from pg_indexes where tablename = 'mt_doc_auditentry'", CancellationToken.None);
        foreach (var columns in new[]
        {
            "(org_id, recorded_at, id)", "(org_id, chain_index)", "(org_id, action, recorded_at, id)", "(org_id, outcome, recorded_at, id)",
            "(org_id, actor, recorded_at, id)", "(org_id, workspace_id, recorded_at, id)", "(org_id, target_id, recorded_at, id)",
            "(org_id, stream_id, recorded_at, id)", "(org_id, correlation_id, recorded_at, id)",
        })
        {
            Assert.Contains(indexes, i => i.EndsWith(columns, StringComparison.Ordinal));
        }

        Assert.Contains(indexes, i => i.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal) && i.EndsWith("(org_id, chain_index)", StringComparison.Ordinal));
    }
}
