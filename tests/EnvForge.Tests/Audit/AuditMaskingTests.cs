using System.Net;
using EnvForge.Api.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Audit;

/// <summary>
/// A departed member's personal fields (display names) are masked in the stored events and the trail, nothing else, and
/// every chain stays verifiable: the hash covers a salted commitment of the fields, never the fields.
/// </summary>
public sealed class AuditMaskingTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    private const string Name = "Bob Q. Builder";

    private async Task<Guid> DepartedAsync()
    {
        var org = await OrgAsync("alice", "Acme");
        await AddMemberAsync(org, "alice", "audrey", "Auditor");
        await AddMemberAsync(org, "alice", "bob", "Developer", displayName: Name);
        await AddMemberAsync(org, "alice", "carol", "Developer", displayName: "Carol Stays");
        await (await Api.ClientFor("alice").DeleteAsync($"/orgs/{org}/members/bob")).AssertStatusAsync(HttpStatusCode.NoContent);
        await SealAsync();
        return org;
    }

    private async Task<List<string>> StoredTextAsync()
    {
        await using var session = Api.Store.QuerySession();
        var events = await session.AdvancedSql.QueryAsync<string>("select data::text || coalesce(headers::text, '') from envforge.mt_events", CancellationToken.None);
        var entries = await session.AdvancedSql.QueryAsync<string>("select data::text from envforge.mt_doc_auditentry", CancellationToken.None);
        return [.. events, .. entries];
    }

    [Fact]
    public async Task Masking_a_former_member_removes_their_name_everywhere_and_every_chain_export_and_seal_still_verifies()
    {
        var org = await DepartedAsync();
        var keys = await PublicKeysAsync();
        var before = await ExportAsync(org, "audrey");
        var trailBefore = await TrailAsync(org);
        Assert.Contains(await StoredTextAsync(), t => t.Contains(Name, StringComparison.Ordinal));

        var response = await Api.ClientFor("alice").PostAsync($"/orgs/{org}/audit/members/bob/mask-personal-data", null);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(1, (await response.ReadAsync<MaskingResponse>()).EventsMasked);

        Assert.DoesNotContain(await StoredTextAsync(), t => t.Contains(Name, StringComparison.Ordinal));
        Assert.Contains(await StoredTextAsync(), t => t.Contains("Carol Stays", StringComparison.Ordinal)); // only the departed member's
        var trailAfter = await TrailAsync(org);
        var masked = Assert.Single(trailAfter, e => e.PersonalMasked);
        Assert.Equal("bob", masked.TargetId);
        Assert.Null(masked.Personal);
        Assert.Null(masked.PersonalSalt);
        var original = trailBefore.Single(e => e.Id == masked.Id);
        Assert.Equal(original.PersonalCommitment, masked.PersonalCommitment);
        Assert.Equal(trailBefore.Select(e => e.Hash), trailAfter.Take(trailBefore.Count).Select(e => e.Hash));
        Assert.Equal(("organization.member_personal_data_masked", "bob"), (trailAfter[^1].Action, trailAfter[^1].TargetId));

        var after = await ExportAsync(org, "audrey");
        Assert.DoesNotContain(Name, after, StringComparison.Ordinal);
        Assert.True(Verify(after, keys).Valid, Verify(after, keys).Describe());
        Assert.True(Verify(before, keys).Valid, "an export taken before masking still verifies");

        // A rebuild reads the commitment pinned on the masked event: the same chain, and the seals still hold.
        var rebuilt = await Service<ProjectionRebuilds>().RunAsync(AuditTrailProjection.Name, Guid.NewGuid(), _ => { }, CancellationToken.None);
        Assert.True(rebuilt.Comparison!.Equal, System.Text.Json.JsonSerializer.Serialize(rebuilt.Comparison));
        Assert.Equal(trailAfter.Select(e => e.Hash), (await TrailAsync(org)).Select(e => e.Hash));
        Assert.Null((await TrailAsync(org)).Single(e => e.Id == masked.Id).Personal);
    }

    [Fact]
    public async Task Masking_is_for_former_members_of_that_org_by_owners_and_admins()
    {
        var org = await DepartedAsync();
        var mask = (string user, string by) => Api.ClientFor(by).PostAsync($"/orgs/{org}/audit/members/{user}/mask-personal-data", null);

        await (await mask("carol", "alice")).AssertProblemAsync(HttpStatusCode.Conflict, "audit.member_still_present");
        await (await mask("nobody", "alice")).AssertProblemAsync(HttpStatusCode.NotFound, "member.not_found");
        await (await mask("bob", "audrey")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await mask("bob", "mallory")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        Assert.Contains(await StoredTextAsync(), t => t.Contains(Name, StringComparison.Ordinal));
        await (await mask("bob", "alice")).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(0, (await (await mask("bob", "alice")).ReadAsync<MaskingResponse>()).EventsMasked); // again: nothing left to mask
    }
}
