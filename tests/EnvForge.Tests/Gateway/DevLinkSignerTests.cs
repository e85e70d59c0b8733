using System.Security.Cryptography;
using System.Text;
using EnvForge.Api.DevLinks;

namespace EnvForge.Tests.Gateway;

/// <summary>Link tokens and session cookies: HMAC-SHA256 under a key ring with ids.</summary>
public sealed class DevLinkSignerTests
{
    private static readonly byte[] KeyOne = Key(1);
    private static readonly byte[] KeyTwo = Key(2);
    private static readonly Guid LinkId = Guid.Parse("0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");

    private static byte[] Key(byte seed) => [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 13 + seed))];

    private static DevLinkSigner Signer(string current, params (string Id, byte[] Key)[] keys) =>
        new(keys.ToDictionary(k => k.Id, k => k.Key), current);

    private static string Replace(string value, int index, string part)
    {
        var parts = value.Split('.');
        parts[index] = part;
        return string.Join('.', parts);
    }

    private static string FlipChar(string value, int at) => value[..at] + (value[at] == 'A' ? 'B' : 'A') + value[(at + 1)..];

    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>The same 32 bytes written another way: the last character's unused low bit set.</summary>
    private static string WithUnusedBitSet(string mac) => mac[..^1] + Base64UrlAlphabet[Base64UrlAlphabet.IndexOf(mac[^1], StringComparison.Ordinal) ^ 1];

    [Fact]
    public void A_token_round_trips_and_only_its_hash_is_returned_to_store()
    {
        var signer = Signer("k1", ("k1", KeyOne));

        var (token, hash) = signer.IssueToken(LinkId, 3);

        Assert.StartsWith($"efl1.{LinkId:N}.3.k1.", token, StringComparison.Ordinal);
        Assert.True(signer.TryReadToken(token, out var read));
        Assert.Equal(new SignedLink(LinkId, 3, "k1", null), read);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))), hash);
        Assert.Equal(hash, DevLinkSigner.Hash(token));
        Assert.DoesNotContain(token, hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_tokens_for_the_same_link_and_generation_differ()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var tokens = Enumerable.Range(0, 50).Select(_ => signer.IssueToken(LinkId, 1).Token).ToList();
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.All(tokens, t => Assert.True(signer.TryReadToken(t, out _)));
    }

    [Fact]
    public void A_session_round_trips_with_its_expiry()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

        var session = signer.IssueSession(LinkId, 2, expires);

        Assert.Equal($"efs1.{LinkId:N}.2.1900000000.k1", session[..session.LastIndexOf('.')]);
        Assert.True(signer.TryReadSession(session, out var read));
        Assert.Equal(new SignedLink(LinkId, 2, "k1", expires), read);
    }

    [Fact]
    public void A_token_is_not_a_session_and_a_session_is_not_a_token()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var (token, _) = signer.IssueToken(LinkId, 1);
        var session = signer.IssueSession(LinkId, 1, DateTimeOffset.UtcNow.AddHours(1));

        Assert.False(signer.TryReadSession(token, out _));
        Assert.False(signer.TryReadToken(session, out _));
        Assert.False(signer.TryReadSession("efs1" + token[4..], out _));
        Assert.False(signer.TryReadToken("efl1" + session[4..], out _));
    }

    public static TheoryData<string, Func<string, string>> TokenTampering => new()
    {
        { "a char of the MAC flipped", t => Replace(t, 5, FlipChar(t.Split('.')[5], 5)) },
        { "the first char of the MAC flipped", t => Replace(t, 5, FlipChar(t.Split('.')[5], 0)) },
        { "the MAC cut short", t => t[..^1] },
        { "the MAC made longer", t => t + "A" },
        { "the MAC padded", t => t + "=" },
        { "the MAC's unused low bit set", t => Replace(t, 5, WithUnusedBitSet(t.Split('.')[5])) },
        { "the MAC in standard base64", t => Replace(t, 5, Convert.ToBase64String(new byte[32])) },
        { "the MAC removed", t => t[..t.LastIndexOf('.')] },
        { "an empty MAC", t => t[..(t.LastIndexOf('.') + 1)] },
        { "the link id changed", t => Replace(t, 1, Guid.NewGuid().ToString("N")) },
        { "the link id in another format", t => Replace(t, 1, LinkId.ToString("D")) },
        { "the link id in upper case", t => Replace(t, 1, LinkId.ToString("N").ToUpperInvariant()) },
        { "the generation changed", t => Replace(t, 2, "2") },
        { "the generation zero", t => Replace(t, 2, "0") },
        { "the generation negative", t => Replace(t, 2, "-1") },
        { "the generation with a sign", t => Replace(t, 2, "+1") },
        { "the key id changed", t => Replace(t, 3, "k2") },
        { "an unknown key id", t => Replace(t, 3, "nope") },
        { "the nonce changed", t => Replace(t, 4, FlipChar(t.Split('.')[4], 3)) },
        { "the prefix changed", t => Replace(t, 0, "efl2") },
        { "an extra part", t => t + ".x" },
        { "surrounding space", t => " " + t },
        { "too long", t => t + new string('A', 300) },
        { "empty", _ => "" },
    };

    [Theory]
    [MemberData(nameof(TokenTampering))]
    public void A_tampered_token_does_not_verify(string what, Func<string, string> tamper)
    {
        var signer = Signer("k1", ("k1", KeyOne), ("k2", KeyTwo));
        var (token, _) = signer.IssueToken(LinkId, 1);
        var tampered = tamper(token);
        Assert.NotEqual(token, tampered);

        Assert.False(signer.TryReadToken(tampered, out var read), what);
        Assert.Equal(default, read);
    }

    [Fact]
    public void Null_and_garbage_do_not_verify()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        Assert.False(signer.TryReadToken(null, out _));
        Assert.False(signer.TryReadSession(null, out _));
        Assert.False(signer.TryReadToken("efl1.....", out _));
        Assert.False(signer.TryReadSession("efs1.....", out _));
        Assert.False(signer.TryReadToken("efl1", out _));
    }

    public static TheoryData<string, Func<string, string>> SessionTampering => new()
    {
        { "a char of the MAC flipped", s => Replace(s, 5, FlipChar(s.Split('.')[5], 5)) },
        { "the expiry pushed out", s => Replace(s, 3, "1900086400") },
        { "the expiry negative", s => Replace(s, 3, "-1") },
        { "the link id changed", s => Replace(s, 1, Guid.NewGuid().ToString("N")) },
        { "the generation changed", s => Replace(s, 2, "3") },
        { "the key id changed", s => Replace(s, 4, "k2") },
        { "an unknown key id", s => Replace(s, 4, "nope") },
        { "the MAC removed", s => s[..s.LastIndexOf('.')] },
        { "the MAC padded", s => s + "=" },
        { "the MAC's unused low bit set", s => Replace(s, 5, WithUnusedBitSet(s.Split('.')[5])) },
        { "the prefix changed", s => Replace(s, 0, "efl1") },
    };

    [Theory]
    [MemberData(nameof(SessionTampering))]
    public void A_tampered_session_does_not_verify(string what, Func<string, string> tamper)
    {
        var signer = Signer("k1", ("k1", KeyOne), ("k2", KeyTwo));
        var session = signer.IssueSession(LinkId, 2, DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));

        Assert.False(signer.TryReadSession(tamper(session), out _), what);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("auth0|5f1c.2b-9e")] // dots and pipes: the subject is encoded, so it cannot add a part
    [InlineData("zoë@example.com")]
    public void A_signed_in_session_round_trips_with_its_subject(string subject)
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

        var session = signer.IssueSession(LinkId, 2, expires, subject);

        Assert.StartsWith($"efu1.{LinkId:N}.2.1900000000.", session, StringComparison.Ordinal);
        Assert.DoesNotContain(subject, session, StringComparison.Ordinal);
        Assert.True(signer.TryReadSession(session, out var read));
        Assert.Equal(new SignedLink(LinkId, 2, "k1", expires, subject), read);
        Assert.False(signer.TryReadTicket(session, out _));
        Assert.False(signer.TryReadToken(session, out _));
    }

    [Fact]
    public void A_ticket_round_trips_with_its_subject_expiry_and_a_fresh_nonce()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_060);

        var one = signer.IssueTicket(LinkId, 3, "alice", expires);
        var two = signer.IssueTicket(LinkId, 3, "alice", expires);

        Assert.NotEqual(one, two);
        Assert.True(signer.TryReadTicket(one, out var first));
        Assert.True(signer.TryReadTicket(two, out var second));
        Assert.Equal((LinkId, 3, "alice", expires), (first.LinkId, first.Generation, first.Subject, first.SessionExpiresAt));
        Assert.NotNull(first.Nonce);
        Assert.NotEqual(first.Nonce, second.Nonce);

        // A ticket is neither a session nor a token, whatever its prefix is made to say.
        Assert.False(signer.TryReadSession(one, out _));
        Assert.False(signer.TryReadToken(one, out _));
        Assert.False(signer.TryReadSession("efu1" + one[4..], out _));
    }

    public static TheoryData<string, Func<string, string>> TicketTampering => new()
    {
        { "the subject changed", t => Replace(t, 4, System.Buffers.Text.Base64Url.EncodeToString("mallory"u8)) },
        { "the subject removed", t => Replace(t, 4, "") },
        { "the expiry pushed out", t => Replace(t, 3, "1900086400") },
        { "the link id changed", t => Replace(t, 1, Guid.NewGuid().ToString("N")) },
        { "the generation changed", t => Replace(t, 2, "4") },
        { "the nonce changed", t => Replace(t, 5, FlipChar(t.Split('.')[5], 2)) },
        { "a char of the MAC flipped", t => Replace(t, 7, FlipChar(t.Split('.')[7], 5)) },
        { "the key id changed", t => Replace(t, 6, "k2") },
        { "the nonce dropped", t => string.Join('.', t.Split('.').Where((_, i) => i != 5)) },
        { "the prefix changed", t => Replace(t, 0, "efu1") },
    };

    [Theory]
    [MemberData(nameof(TicketTampering))]
    public void A_tampered_ticket_does_not_verify(string what, Func<string, string> tamper)
    {
        var signer = Signer("k1", ("k1", KeyOne), ("k2", KeyTwo));
        var ticket = signer.IssueTicket(LinkId, 3, "alice", DateTimeOffset.FromUnixTimeSeconds(1_900_000_060));
        var tampered = tamper(ticket);
        Assert.NotEqual(ticket, tampered);

        Assert.False(signer.TryReadTicket(tampered, out _), what);
        Assert.False(signer.TryReadSession(tampered, out _), what);
    }

    [Fact]
    public void A_signed_in_session_with_its_subject_changed_does_not_verify()
    {
        var signer = Signer("k1", ("k1", KeyOne));
        var session = signer.IssueSession(LinkId, 2, DateTimeOffset.FromUnixTimeSeconds(1_900_000_000), "alice");

        Assert.False(signer.TryReadSession(Replace(session, 4, System.Buffers.Text.Base64Url.EncodeToString("root"u8)), out _));
        Assert.False(signer.TryReadSession(string.Join('.', session.Split('.').Where((_, i) => i != 4)), out _)); // the subject dropped: not an efs1
    }

    [Fact]
    public void A_token_from_another_key_ring_with_the_same_key_id_does_not_verify()
    {
        var ours = Signer("k1", ("k1", KeyOne));
        var theirs = Signer("k1", ("k1", KeyTwo));

        Assert.False(ours.TryReadToken(theirs.IssueToken(LinkId, 1).Token, out _));
        Assert.False(ours.TryReadSession(theirs.IssueSession(LinkId, 1, DateTimeOffset.UtcNow.AddHours(1)), out _));
    }

    [Fact]
    public void Rotating_keys_keeps_old_tokens_verifying_until_their_key_leaves_the_ring()
    {
        var before = Signer("k1", ("k1", KeyOne));
        var (oldToken, _) = before.IssueToken(LinkId, 1);
        var oldSession = before.IssueSession(LinkId, 1, DateTimeOffset.UtcNow.AddHours(1));

        // k2 added and made current: new values name k2, values signed with k1 still verify.
        var during = Signer("k2", ("k1", KeyOne), ("k2", KeyTwo));
        var (newToken, _) = during.IssueToken(LinkId, 2);
        Assert.Equal("k2", during.CurrentKeyId);
        Assert.True(during.TryReadToken(oldToken, out var old));
        Assert.Equal("k1", old.KeyId);
        Assert.True(during.TryReadSession(oldSession, out _));
        Assert.True(during.TryReadToken(newToken, out var fresh));
        Assert.Equal("k2", fresh.KeyId);
        Assert.False(before.TryReadToken(newToken, out _));

        // k1 removed: what it signed stops verifying, what k2 signed does not.
        var after = Signer("k2", ("k2", KeyTwo));
        Assert.False(after.TryReadToken(oldToken, out _));
        Assert.False(after.TryReadSession(oldSession, out _));
        Assert.True(after.TryReadToken(newToken, out _));
    }

    [Fact]
    public void A_key_ring_without_its_current_key_or_with_short_keys_or_bad_ids_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Signer("k2", ("k1", KeyOne)));
        Assert.Throws<ArgumentException>(() => Signer("k1", ("k1", new byte[31])));
        Assert.Throws<ArgumentException>(() => Signer("k.1", ("k.1", KeyOne)));
        Assert.Throws<ArgumentException>(() => Signer("", ("", KeyOne)));
        Assert.Throws<ArgumentException>(() => Signer(new string('k', 33), (new string('k', 33), KeyOne)));
    }

    [Fact]
    public void Without_configured_keys_a_key_file_is_created_private_and_reused()
    {
        var directory = Directory.CreateTempSubdirectory("envforge-devlink-keys-").FullName;
        try
        {
            var first = DevLinkSigner.Load(new Dictionary<string, string>(), null, directory);
            var (token, _) = first.IssueToken(LinkId, 1);
            var file = Path.Combine(directory, "dev-link.keys");
            Assert.True(File.Exists(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            var second = DevLinkSigner.Load(new Dictionary<string, string>(), null, directory);
            Assert.Equal(first.CurrentKeyId, second.CurrentKeyId);
            Assert.True(second.TryReadToken(token, out _));

            // A second line is a new current key; the first still verifies.
            File.AppendAllText(file, $"l2={Convert.ToBase64String(KeyTwo)}\n");
            var rotated = DevLinkSigner.Load(new Dictionary<string, string>(), null, directory);
            Assert.Equal("l2", rotated.CurrentKeyId);
            Assert.True(rotated.TryReadToken(token, out _));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Configured_keys_win_over_the_key_file()
    {
        var signer = DevLinkSigner.Load(
            new Dictionary<string, string> { ["a1"] = Convert.ToBase64String(KeyOne), ["b2"] = Convert.ToBase64String(KeyTwo) }, "a1", "/nonexistent");
        Assert.Equal("a1", signer.CurrentKeyId);
        Assert.True(Signer("a1", ("a1", KeyOne)).TryReadToken(signer.IssueToken(LinkId, 1).Token, out _));
    }
}
