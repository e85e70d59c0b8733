using System.Net;
using System.Security.Claims;
using System.Text.Json.Nodes;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Tests.Auth;

/// <summary>The API trusts what the issuer publishes, and nothing else: key rotation with two published keys, foreign tokens refused.</summary>
public sealed class KeyRotationTests(PostgresServer postgres) : AuthTestBase(postgres)
{
    [Fact]
    public async Task After_a_rotation_old_tokens_stay_valid_and_new_ones_are_signed_by_the_new_key()
    {
        var before = await OwnerAsync();
        var oldKid = before.Access.Kid;
        Assert.Equal(SigningKeys.List(Host.DataDirectory), [oldKid]);

        var newKid = SigningKeys.Rotate(Host.DataDirectory);
        await Host.RestartAsync();

        Assert.Equal([oldKid, newKid], (await PublishedKeysAsync()).Order(StringComparer.Ordinal).ToArray().OrderBy(k => k == newKid));
        await (await Host.Api(before.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK);
        using var cli = Host.Oidc();
        var after = await cli.RefreshAsync(before.RefreshToken!); // sealed and signed before the rotation
        Assert.True(after.Succeeded, $"{after.Error}: {after.Description}");
        Assert.Equal(newKid, after.Access.Kid);
        await (await Host.Api(after.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK);

        // Once the old key is retired (after the longest token lifetime), what it signed is refused.
        Assert.True(SigningKeys.Retire(Host.DataDirectory, oldKid, out _));
        await Host.RestartAsync();
        Assert.Equal([newKid], await PublishedKeysAsync());
        await (await Host.Api(before.AccessToken).GetAsync("/me")).AssertProblemAsync(HttpStatusCode.Unauthorized, "token_invalid");
        await (await Host.Api(after.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public void The_signing_key_cannot_be_retired_and_an_unknown_one_is_named()
    {
        var current = SigningKeys.Load(Host.DataDirectory).CurrentKeyId;
        Assert.False(SigningKeys.Retire(Host.DataDirectory, current, out var problem));
        Assert.Contains("current signing key", problem, StringComparison.Ordinal);
        Assert.False(SigningKeys.Retire(Host.DataDirectory, "sig-nope", out problem));
        Assert.Contains("no signing key", problem, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Forged => new()
    {
        { "other-audience", "token_invalid" },
        { "other-issuer", "token_invalid" },
        { "other-key", "token_invalid" },
        { "expired", "token_expired" },
        { "hmac-with-the-public-key-id", "token_invalid" },
    };

    [Theory]
    [MemberData(nameof(Forged))]
    public async Task Tokens_not_exactly_as_the_issuer_makes_them_are_refused(string kind, string code)
    {
        await OwnerAsync();
        var key = SigningKeys.Load(Host.DataDirectory).Signing[0];
        var (signing, issuer, audience, expires) = kind switch
        {
            "other-audience" => (Rsa(key), Host.BaseAddress.AbsoluteUri, "someone-else", DateTime.UtcNow.AddMinutes(5)),
            "other-issuer" => (Rsa(key), "https://evil.example/", "envforge-api", DateTime.UtcNow.AddMinutes(5)),
            "other-key" => (Rsa(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = key.KeyId }), Host.BaseAddress.AbsoluteUri, "envforge-api", DateTime.UtcNow.AddMinutes(5)),
            "expired" => (Rsa(key), Host.BaseAddress.AbsoluteUri, "envforge-api", DateTime.UtcNow.AddMinutes(-5)),
            _ => (new SigningCredentials(new SymmetricSecurityKey(key.Rsa.ExportRSAPublicKey()) { KeyId = key.KeyId }, SecurityAlgorithms.HmacSha256),
                Host.BaseAddress.AbsoluteUri, "envforge-api", DateTime.UtcNow.AddMinutes(5)),
        };

        var token = Mint(signing, issuer, audience, expires);

        var refused = await Host.Api(token).GetAsync("/orgs");
        var problem = await refused.AssertProblemAsync(HttpStatusCode.Unauthorized, code);
        Assert.DoesNotContain(token, problem.ToJsonString(), StringComparison.Ordinal);
        // The same minting with the real key, issuer and audience is accepted: the refusals above are for what differs.
        await (await Host.Api(Mint(Rsa(key), Host.BaseAddress.AbsoluteUri, "envforge-api", DateTime.UtcNow.AddMinutes(5))).GetAsync("/orgs"))
            .AssertStatusAsync(HttpStatusCode.OK);
    }

    private static SigningCredentials Rsa(RsaSecurityKey key) => new(key, SecurityAlgorithms.RsaSha256);

    private static string Mint(SigningCredentials signing, string issuer, string audience, DateTime expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", "admin")]),
        Issuer = issuer,
        Audience = audience,
        IssuedAt = expires.AddMinutes(-15),
        NotBefore = expires.AddMinutes(-15),
        Expires = expires,
        SigningCredentials = signing,
    });

    private async Task<string[]> PublishedKeysAsync()
    {
        var jwks = JsonNode.Parse(await Host.Api(null).GetStringAsync("/.well-known/jwks"))!;
        return [.. jwks["keys"]!.AsArray().Select(k => (string)k!["kid"]!)];
    }
}
