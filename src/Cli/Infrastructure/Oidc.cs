using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EnvForge.Cli.Infrastructure;

/// <summary>The endpoints an issuer publishes in its discovery document.</summary>
public sealed record IssuerEndpoints(string TokenEndpoint, string? DeviceAuthorizationEndpoint);

/// <summary>What a token endpoint answered.</summary>
public sealed record TokenResponse(string? AccessToken, string? RefreshToken, int ExpiresIn, string? Error, string? ErrorDescription, int? Interval = null);

public sealed record DeviceCode(string Code, string UserCode, string VerificationUri, string? VerificationUriComplete, int ExpiresIn, int Interval);

/// <summary>The CLI's side of OAuth: discovery, the device authorization flow (RFC 8628), refresh.</summary>
public static class Oidc
{
    public const string Scope = "openid profile offline_access";

    public static async Task<IssuerEndpoints> DiscoverAsync(HttpClient http, string issuer, CancellationToken ct)
    {
        var url = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        using var response = await Send(() => http.GetAsync(url, ct), issuer);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(ExitCodes.NotOnThisServer, $"{issuer} publishes no OpenID configuration ({(int)response.StatusCode}); pass --issuer with your identity provider.");
        }

        var json = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
        return new IssuerEndpoints((string?)json["token_endpoint"] ?? throw new CliException(ExitCodes.Error, "the issuer publishes no token endpoint"),
            (string?)json["device_authorization_endpoint"]);
    }

    public static async Task<DeviceCode> StartDeviceAsync(HttpClient http, IssuerEndpoints endpoints, string clientId, CancellationToken ct)
    {
        if (endpoints.DeviceAuthorizationEndpoint is null)
        {
            throw new CliException(ExitCodes.NotOnThisServer, "the issuer does not offer the device authorization flow");
        }

        using var response = await Send(() => http.PostAsync(endpoints.DeviceAuthorizationEndpoint, Form(("client_id", clientId), ("scope", Scope)), ct), endpoints.DeviceAuthorizationEndpoint);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(ExitCodes.Unauthenticated, $"the issuer refused to start a sign-in: {json["error"]} {json["error_description"]}");
        }

        return new DeviceCode((string)json["device_code"]!, (string)json["user_code"]!, (string)json["verification_uri"]!,
            (string?)json["verification_uri_complete"], (int?)json["expires_in"] ?? 600, (int?)json["interval"] ?? 5);
    }

    public static Task<TokenResponse> PollDeviceAsync(HttpClient http, IssuerEndpoints endpoints, string clientId, string deviceCode, CancellationToken ct) =>
        TokenAsync(http, endpoints.TokenEndpoint, ct, ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode), ("client_id", clientId));

    public static Task<TokenResponse> RefreshAsync(HttpClient http, string tokenEndpoint, string clientId, string refreshToken, CancellationToken ct) =>
        TokenAsync(http, tokenEndpoint, ct, ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientId));

    private static async Task<TokenResponse> TokenAsync(HttpClient http, string endpoint, CancellationToken ct, params (string, string)[] fields)
    {
        using var response = await Send(() => http.PostAsync(endpoint, Form(fields), ct), endpoint);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
        return new TokenResponse((string?)json["access_token"], (string?)json["refresh_token"], (int?)json["expires_in"] ?? 0,
            (string?)json["error"], (string?)json["error_description"], (int?)json["interval"]);
    }

    /// <summary>Sends, turning "could not connect" into the CLI's unreachable exit code.</summary>
    public static async Task<HttpResponseMessage> Send(Func<Task<HttpResponseMessage>> send, string where)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ExitCodes.Unreachable, $"cannot reach {where}: {ex.Message}");
        }
        catch (TaskCanceledException)
        {
            throw new CliException(ExitCodes.Unreachable, $"{where} did not answer in time");
        }
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
}
