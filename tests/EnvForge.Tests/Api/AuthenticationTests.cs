using System.Net;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Api;

/// <summary>Expired, forged and misdirected tokens get 401 ProblemDetails, never echo the token, and append nothing.</summary>
public sealed class AuthenticationTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    public static TheoryData<string, string> BadTokens => new()
    {
        { "expired", "token_expired" },
        { "forged", "token_invalid" },
        { "other-audience", "token_invalid" },
        { "other-issuer", "token_invalid" },
        { "garbage", "token_invalid" },
        { "alg-none", "token_invalid" },
    };

    private static string TokenFor(string kind) => kind switch
    {
        "expired" => ApiFactory.Token("alice", now: DateTimeOffset.UtcNow.AddHours(-2), lifetime: TimeSpan.FromMinutes(5)),
        "forged" => ApiFactory.Token("alice", key: Convert.ToBase64String(new byte[32])),
        "other-audience" => ApiFactory.Token("alice", options: new AuthOptions { Audience = "someone-else" }),
        "other-issuer" => ApiFactory.Token("alice", options: new AuthOptions { LocalIssuer = "evil-issuer" }),
        "garbage" => "eyJhbGciOiJIUzI1NiJ9.not-a-token.at-all",
        // An unsigned token claiming to be alice must never be accepted.
        "alg-none" => Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
            Base64Url($"{{\"sub\":\"alice\",\"aud\":\"envforge-api\",\"iss\":\"envforge-local\",\"exp\":{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}") + ".",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string Base64Url(string s) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(s));

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Bad_tokens_are_401_problems_and_append_nothing(string kind, string code)
    {
        var token = TokenFor(kind);

        var response = await Api.WithToken(token).PostJsonAsync("/orgs", new { name = "Acme" });

        var problem = await response.AssertProblemAsync(HttpStatusCode.Unauthorized, code);
        Assert.DoesNotContain(token, problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await using var session = Api.Store.QuerySession();
        Assert.Equal(0, await session.Events.QueryAllRawEvents().CountAsync());
    }

    [Fact]
    public async Task No_token_is_401()
    {
        var response = await Api.WithToken(null).GetAsync("/orgs");
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_valid_token_is_accepted()
    {
        var response = await Api.ClientFor("alice").GetAsync("/orgs");
        await response.AssertStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Health_and_the_api_reference_need_no_token()
    {
        var anonymous = Api.WithToken(null);
        await (await anonymous.GetAsync("/alive")).AssertStatusAsync(HttpStatusCode.OK);
        await (await anonymous.GetAsync("/openapi/v1.json")).AssertStatusAsync(HttpStatusCode.OK);
        await (await anonymous.GetAsync("/scalar/v1")).AssertStatusAsync(HttpStatusCode.OK);
    }
}
