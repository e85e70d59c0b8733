using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;

namespace EnvForge.Tests.Auth;

/// <summary>What the token endpoint answered: tokens, or an OAuth error.</summary>
public sealed record TokenAnswer(HttpStatusCode Status, string? AccessToken, string? RefreshToken, string? IdToken, int? ExpiresIn, string? Error, string? Description)
{
    public bool Succeeded => AccessToken is not null;

    public JsonWebToken Access => new(AccessToken ?? throw new InvalidOperationException($"no access token: {Error} {Description}"));
}

public sealed record DeviceAuthorization(string DeviceCode, string UserCode, string VerificationUri, string VerificationUriComplete, int ExpiresIn);

/// <summary>An OAuth client over real HTTP, as the CLI or a browser app is: device flow, code + PKCE, refresh.</summary>
public sealed class OidcClient(Uri issuer, string clientId) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = issuer };

    public async Task<DeviceAuthorization> StartDeviceAsync(string scope = "openid profile offline_access")
    {
        var response = await _http.PostAsync("/connect/device", Form(("client_id", clientId), ("scope", scope)));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        return new DeviceAuthorization((string)json["device_code"]!, (string)json["user_code"]!, (string)json["verification_uri"]!,
            (string)json["verification_uri_complete"]!, (int)json["expires_in"]!);
    }

    public Task<TokenAnswer> PollDeviceAsync(string deviceCode) =>
        TokenAsync(("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode), ("client_id", clientId));

    public Task<TokenAnswer> RefreshAsync(string refreshToken) =>
        TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientId));

    public Task<TokenAnswer> RedeemCodeAsync(string code, string redirectUri, string verifier) =>
        TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectUri), ("code_verifier", verifier), ("client_id", clientId));

    /// <summary>A PKCE pair: the verifier the client keeps, the S256 challenge it sends.</summary>
    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeUrl(string clientId, string redirectUri, string challenge, string state, string scope = "openid profile offline_access", string method = "S256") =>
        "/connect/authorize?" + string.Join('&', new[]
        {
            ("client_id", clientId), ("response_type", "code"), ("redirect_uri", redirectUri), ("scope", scope), ("state", state),
            ("code_challenge", challenge), ("code_challenge_method", method),
        }.Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));

    private async Task<TokenAnswer> TokenAsync(params (string, string)[] fields)
    {
        var response = await _http.PostAsync("/connect/token", Form(fields));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return new TokenAnswer(response.StatusCode, (string?)json["access_token"], (string?)json["refresh_token"], (string?)json["id_token"],
            (int?)json["expires_in"], (string?)json["error"], (string?)json["error_description"]);
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public void Dispose() => _http.Dispose();
}
