using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Audit;

/// <summary>
/// The export and its offline verification: a sealed, partly unsealed trail exported as JSON Lines and CSV verifies with
/// the published keys; editing any one byte of an entry, deleting an entry, swapping two, rehashing a changed chain,
/// cutting the file short or trusting other keys all fail, naming the entry.
/// </summary>
public sealed class AuditExportTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    /// <summary>An org with 12 entries: sealed through 8, the last 4 vouched for only by the export's signature.</summary>
    private async Task<Guid> TrailAsync()
    {
        var org = await OrgAsync("alice", "Acme");
        await AddMemberAsync(org, "alice", "audrey", "Auditor");
        await AddMemberAsync(org, "alice", "bob", "Developer", displayName: "Bob Builder");
        for (var i = 0; i < 3; i++)
        {
            await AddMemberAsync(org, "alice", $"dev{i}", "Developer");
        }

        await AddMemberAsync(org, "alice", "zoë", "Viewer", displayName: "Zoë \"Z\" Ünlü, Jr.");
        await SealAsync();
        await SealAsync(); // nothing new: no second seal
        for (var i = 3; i < 7; i++)
        {
            await AddMemberAsync(org, "alice", $"dev{i}", "Developer");
        }

        await Api.CatchUpAsync();
        await OrgAsync("mallory", "Other"); // another org's entries never enter this export
        return org;
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    public async Task An_untouched_export_verifies_with_the_published_keys(string format)
    {
        var org = await TrailAsync();
        var export = await ExportAsync(org, "audrey", format);

        var result = Verify(export, await PublicKeysAsync());

        Assert.True(result.Valid, result.Describe());
        Assert.Equal(12, result.Entries);
        Assert.Equal((1L, 12L), (result.FirstIndex, result.LastIndex));
        Assert.Equal(1, result.Seals);
        Assert.Equal(8, result.SealedThrough);
        Assert.DoesNotContain(result.Notes, n => n.Contains("keys the file carries", StringComparison.Ordinal));
        Assert.Contains("keys the file carries", Verify(export, null).Notes[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_export_is_the_same_bytes_whatever_its_batch_size_with_each_seal_after_the_entry_it_seals()
    {
        var org = await TrailAsync();
        var keys = Service<AuditSigningKeys>();
        var now = DateTimeOffset.UtcNow;
        var (from, to) = (now.AddHours(-1), now.AddHours(1));

        async Task<string> ExportWithAsync(int batchSize)
        {
            await using var session = Api.Store.QuerySession();
            using var output = new MemoryStream();
            await AuditExport.WriteAsync(session, keys, org, from, to, csv: false, output, now, CancellationToken.None, batchSize);
            return Encoding.UTF8.GetString(output.ToArray());
        }

        var whole = await ExportWithAsync(AuditExport.BatchSize);
        var result = AuditVerifier.Verify(new StringReader(whole), keys.PublicKeys);
        Assert.True(result.Valid, result.Describe());
        Assert.Equal((12, 1, 8L), (result.Entries, result.Seals, result.SealedThrough));
        foreach (var batchSize in new[] { 1, 3, 7, 8, 11 })
        {
            // Batch edges before, on and after the seal, and past the end; ECDSA signs with a fresh nonce, so the closing
            // line's signature differs from export to export (each verifies) and is left out of the comparison.
            var export = await ExportWithAsync(batchSize);
            Assert.True(AuditVerifier.Verify(new StringReader(export), keys.PublicKeys).Valid, $"batch size {batchSize}");
            Assert.Equal(Unsigned(whole), Unsigned(export));
        }
    }

    private static string Unsigned(string export) =>
        Regex.Replace(export, "\"signature\":\"[^\"]*\"", "\"signature\":\"\"");

    [Fact]
    public async Task Editing_any_one_byte_of_an_entry_fails_at_that_entry()
    {
        var org = await TrailAsync();
        var lines = (await ExportAsync(org, "audrey")).Split('\n');
        var keys = await PublicKeysAsync();
        foreach (var index in new[] { 1L, 5, 8, 12 })
        {
            var at = Array.FindIndex(lines, l => l.StartsWith("{\"type\":\"entry\"", StringComparison.Ordinal) && l.Contains($"\"index\":{index},", StringComparison.Ordinal));
            for (var i = 0; i < lines[at].Length; i++)
            {
                var edited = (string[])lines.Clone();
                var bytes = Encoding.UTF8.GetBytes(edited[at]);
                if (i >= bytes.Length)
                {
                    break;
                }

                bytes[i] = bytes[i] == (byte)'a' ? (byte)'b' : (byte)'a';
                edited[at] = Encoding.UTF8.GetString(bytes);
                var result = Verify(string.Join('\n', edited), keys);
                Assert.False(result.Valid, $"editing byte {i} of entry {index} went unnoticed: {edited[at]}");
                Assert.True(index == result.FailedIndex, $"byte {i} of entry {index}: {result.Describe()}");
            }
        }
    }

    [Fact]
    public async Task Editing_a_csv_entry_fails_at_that_entry()
    {
        var org = await TrailAsync();
        var rows = (await ExportAsync(org, "audrey", "csv")).Split('\n');
        var keys = await PublicKeysAsync();
        var at = Array.FindIndex(rows, r => r.StartsWith("entry,", StringComparison.Ordinal) && r.Contains("\"zoë\"", StringComparison.Ordinal));
        for (var i = 6; i < rows[at].Length; i += 3)
        {
            var edited = (string[])rows.Clone();
            edited[at] = edited[at][..i] + (edited[at][i] == 'a' ? 'b' : 'a') + edited[at][(i + 1)..];
            var result = Verify(string.Join('\n', edited), keys);
            Assert.False(result.Valid, $"editing char {i} went unnoticed: {edited[at]}");
            Assert.True(result.FailedIndex == 8, $"char {i}: {result.Describe()}");
        }
    }

    [Fact]
    public async Task Deleting_or_swapping_entries_fails_at_the_first_entry_out_of_place()
    {
        var org = await TrailAsync();
        var lines = (await ExportAsync(org, "audrey")).Split('\n').ToList();
        var keys = await PublicKeysAsync();
        int Line(long index) => lines.FindIndex(l => l.StartsWith("{\"type\":\"entry\"", StringComparison.Ordinal) && l.Contains($"\"index\":{index},", StringComparison.Ordinal));

        var deleted = lines.ToList();
        deleted.RemoveAt(Line(5));
        var result = Verify(string.Join('\n', deleted), keys);
        Assert.False(result.Valid);
        Assert.Equal(5, result.FailedIndex);
        Assert.Contains("missing", result.Failure, StringComparison.Ordinal);

        var swapped = lines.ToList();
        (swapped[Line(10)], swapped[Line(11)]) = (swapped[Line(11)], swapped[Line(10)]);
        result = Verify(string.Join('\n', swapped), keys);
        Assert.False(result.Valid);
        Assert.Equal(10, result.FailedIndex);

        var lastDeleted = lines.ToList();
        lastDeleted.RemoveAt(Line(12));
        result = Verify(string.Join('\n', lastDeleted), keys);
        Assert.False(result.Valid, "dropping the newest, unsealed entry must be caught by the signed closing line");

        var cutOff = lines.Take(Line(9)).ToList();
        result = Verify(string.Join('\n', cutOff), keys);
        Assert.False(result.Valid);
        Assert.Contains("closing line", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_chain_rehashed_end_to_end_still_fails_at_the_seal_and_at_the_signature()
    {
        var org = await TrailAsync();
        var lines = (await ExportAsync(org, "audrey")).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var keys = await PublicKeysAsync();

        // Someone rewrites entry 3's actor and recomputes every hash after it: the chain is consistent again.
        var previous = "";
        for (var i = 0; i < lines.Count; i++)
        {
            if (AuditExportFormat.ParseJson(lines[i]) is not ExportRecord.Entry { Value: var e })
            {
                continue;
            }

            var rewritten = e with { Actor = e.ChainIndex == 3 ? "mallory" : e.Actor, PreviousHash = e.ChainIndex == 1 ? e.PreviousHash : previous };
            rewritten = rewritten with { Hash = AuditCanonical.HashOf(rewritten) };
            previous = rewritten.Hash;
            lines[i] = Encoding.UTF8.GetString(AuditExportFormat.Json(new ExportRecord.Entry(rewritten)));
        }

        var result = Verify(string.Join('\n', lines), keys);
        Assert.False(result.Valid);
        Assert.Equal(8, result.FailedIndex); // the first seal after the change
        Assert.Contains("sealed hash", result.Failure, StringComparison.Ordinal);

        // Without the seal, the closing signature still catches it.
        var unsealed = lines.Where(l => !l.StartsWith("{\"type\":\"seal\"", StringComparison.Ordinal)).ToList();
        result = Verify(string.Join('\n', unsealed), keys);
        Assert.False(result.Valid);
        Assert.Contains("signed for", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_that_did_not_sign_it_do_not_verify_it()
    {
        var org = await TrailAsync();
        var export = await ExportAsync(org, "audrey");
        using var stranger = AuditSigningKeys.Generate("a1");

        var result = Verify(export, stranger.PublicKeys);

        Assert.False(result.Valid);
        Assert.Contains("bad signature", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verify_command_names_the_first_bad_entry_and_exits_non_zero()
    {
        var org = await TrailAsync();
        var lines = (await ExportAsync(org, "audrey")).Split('\n');
        var directory = Directory.CreateTempSubdirectory("audit-verify-");
        try
        {
            var good = Path.Combine(directory.FullName, "good.jsonl");
            var bad = Path.Combine(directory.FullName, "bad.jsonl");
            var keyFile = Path.Combine(directory.FullName, "keys.json");
            await File.WriteAllTextAsync(good, string.Join('\n', lines));
            var at = Array.FindIndex(lines, l => l.Contains("\"index\":4,", StringComparison.Ordinal));
            lines[at] = lines[at].Replace("\"actor\":\"alice\"", "\"actor\":\"alicf\"", StringComparison.Ordinal);
            await File.WriteAllTextAsync(bad, string.Join('\n', lines));
            await File.WriteAllTextAsync(keyFile, await (await Api.CreateClient().GetAsync("/audit/public-keys")).Content.ReadAsStringAsync());

            var (okOut, okErr) = (new StringWriter(), new StringWriter());
            Assert.Equal(0, await EnvForge.Api.Audit.AuditCommand.RunAsync(["verify", good, "--public-key", keyFile], okOut, okErr));
            Assert.StartsWith("OK: 12 entries", okOut.ToString(), StringComparison.Ordinal);

            var (badOut, badErr) = (new StringWriter(), new StringWriter());
            Assert.Equal(1, await EnvForge.Api.Audit.AuditCommand.RunAsync(["verify", bad, "--public-key", keyFile], badOut, badErr));
            Assert.StartsWith("FAILED at entry 4", badOut.ToString(), StringComparison.Ordinal);
            Assert.Contains("does not match its hash", badOut.ToString(), StringComparison.Ordinal);

            Assert.Equal(2, await EnvForge.Api.Audit.AuditCommand.RunAsync(["verify"], new StringWriter(), new StringWriter()));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_export_carries_the_public_keys_and_never_another_org()
    {
        var org = await TrailAsync();
        var lines = (await ExportAsync(org, "audrey")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = JsonNode.Parse(lines[0])!;
        Assert.Equal("header", (string?)header["type"]);
        Assert.Equal((await PublicKeysAsync()).Select(k => k.PublicKey), header["publicKeys"]!.AsArray().Select(k => (string?)k!["publicKey"]));
        Assert.All(lines.Skip(1).SkipLast(1), l => Assert.Equal(org.ToString(), (string?)JsonNode.Parse(l)!["org"]));
        Assert.Equal("end", (string?)JsonNode.Parse(lines[^1])!["type"]);
    }

    [Theory]
    [InlineData("", "validation")]
    [InlineData("from=2026-01-01T00:00:00Z", "validation")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "validation")]
    [InlineData("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "validation")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=xml", "validation")]
    public async Task Bad_export_requests_are_400s(string query, string code)
    {
        var org = await OrgAsync("alice", "Acme");
        await AddMemberAsync(org, "alice", "audrey", "Auditor");
        await (await Api.ClientFor("audrey").GetAsync($"/orgs/{org}/audit/export?{query}")).AssertProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task An_auditor_of_one_org_never_exports_another()
    {
        var org = await OrgAsync("alice", "Acme");
        var other = await OrgAsync("mallory", "Other");
        await AddMemberAsync(other, "mallory", "audrey", "Auditor");
        var range = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z";
        await (await Api.ClientFor("audrey").GetAsync($"/orgs/{org}/audit/export?{range}")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await (await Api.ClientFor("audrey").GetAsync($"/orgs/{org}/audit")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        await AddMemberAsync(org, "alice", "dave", "Developer");
        await (await Api.ClientFor("dave").GetAsync($"/orgs/{org}/audit/export?{range}")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }
}
