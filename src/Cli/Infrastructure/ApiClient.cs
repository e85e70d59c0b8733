using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EnvForge.Cli.Infrastructure;

/// <summary>
/// Calls the EnvForge API as the signed-in user. The access token is refreshed silently when it is about to expire (or
/// the server says it has), under the credential store's lock, and the rotated refresh token is saved before anything
/// else. Failures become <see cref="CliException"/>s carrying the ProblemDetails' title, detail, code and trace id.
/// </summary>
public sealed class ApiClient(CredentialStore store, HttpClient http, string? serverOverride)
{
    private static readonly TimeSpan RefreshAhead = TimeSpan.FromSeconds(60);

    public Credentials Credentials => store.Load() ?? throw new CliException(ExitCodes.Unauthenticated, "not signed in: run `envforge login`");

    public string Server => serverOverride?.TrimEnd('/') ?? Credentials.Server;

    /// <param name="capability">What this route belongs to, named when the server does not have it ("the wallet").</param>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body, string capability, CancellationToken ct)
    {
        var credentials = await FreshAsync(force: false, ct);
        using var response = await SendOnceAsync(method, path, body, credentials, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized && credentials.RefreshToken is not null
            && await ProblemCodeAsync(response, ct) == "token_expired")
        {
            credentials = await FreshAsync(force: true, ct);
            using var retried = await SendOnceAsync(method, path, body, credentials, ct);
            return await ReadAsync(retried, method, path, capability, ct);
        }

        return await ReadAsync(response, method, path, capability, ct);
    }

    /// <summary>The answer's body as text (an export), with the same refresh and error handling.</summary>
    public async Task<string> SendRawAsync(HttpMethod method, string path, string capability, CancellationToken ct)
    {
        var credentials = await FreshAsync(force: false, ct);
        using var response = await SendOnceAsync(method, path, null, credentials, ct);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync(response, method, path, capability, ct);
        }

        return await response.Content.ReadAsStringAsync(ct);
    }

    public Task<JsonNode?> GetAsync(string path, string capability, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, capability, ct);

    public Task<JsonNode?> PostAsync(string path, object? body, string capability, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, capability, ct);

    /// <summary>A usable access token: the stored one, or a refreshed one when it expires within a minute (or <paramref name="force"/>).</summary>
    public async Task<Credentials> FreshAsync(bool force, CancellationToken ct)
    {
        var credentials = Credentials;
        if (!force && credentials.ExpiresAt - DateTimeOffset.UtcNow > RefreshAhead)
        {
            return credentials;
        }

        if (credentials.RefreshToken is null || credentials.TokenEndpoint is null)
        {
            throw new CliException(ExitCodes.Unauthenticated, "the access token has expired and cannot be refreshed: run `envforge login`");
        }

        using (await store.LockAsync(ct))
        {
            var current = Credentials; // another command may have refreshed while this one waited for the lock
            if (current.RefreshToken != credentials.RefreshToken)
            {
                return current;
            }

            var answer = await Oidc.RefreshAsync(http, current.TokenEndpoint!, current.ClientId, current.RefreshToken!, ct);
            if (answer.AccessToken is null)
            {
                store.Delete();
                throw new CliException(ExitCodes.Unauthenticated, $"the session has ended ({answer.ErrorDescription ?? answer.Error}): run `envforge login`");
            }

            var refreshed = current with
            {
                AccessToken = answer.AccessToken,
                RefreshToken = answer.RefreshToken ?? current.RefreshToken,
                ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(answer.ExpiresIn),
            };
            store.Save(refreshed);
            return refreshed;
        }
    }

    private Task<HttpResponseMessage> SendOnceAsync(HttpMethod method, string path, object? body, Credentials credentials, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, Server + path)
        {
            Content = body is null ? null : JsonContent.Create(body, options: Output.Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AccessToken);
        return Oidc.Send(() => http.SendAsync(request, ct), Server);
    }

    private static async Task<string?> ProblemCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(ct))?["code"];
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, HttpMethod method, string path, string capability, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? json = null;
        try
        {
            json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: described below by its status
        }

        if (response.IsSuccessStatusCode)
        {
            return json;
        }

        throw Failure(response.StatusCode, json as JsonObject, method, path, capability);
    }

    /// <summary>The server's ProblemDetails as one message: title and detail, then the code and trace id to quote in a bug report.</summary>
    public static CliException Failure(HttpStatusCode status, JsonObject? problem, HttpMethod method, string path, string capability)
    {
        var code = (string?)problem?["code"];
        if (status == HttpStatusCode.NotFound && code is null or "not_found")
        {
            return new CliException(ExitCodes.NotOnThisServer,
                $"{capability} is not available on this server ({method} {path.Split('?')[0]} does not exist there): it may run an older EnvForge.");
        }

        var exit = (int)status switch
        {
            401 => ExitCodes.Unauthenticated,
            403 => ExitCodes.Forbidden,
            404 => ExitCodes.NotFound,
            400 or 402 or 409 or 412 or 413 or 415 or 422 => ExitCodes.Refused,
            503 => ExitCodes.Unavailable,
            _ => ExitCodes.Error,
        };
        var title = (string?)problem?["title"] ?? status.ToString();
        var detail = (string?)problem?["detail"];
        var message = detail is null ? title : $"{title}: {detail}";
        if (problem?["errors"] is JsonObject errors)
        {
            message += string.Concat(errors.Select(e => $"\n  {e.Key}: {string.Join(" ", e.Value!.AsArray().Select(v => (string?)v))}"));
        }

        message += $"\n  code: {code ?? "none"} (HTTP {(int)status})";
        if ((string?)problem?["traceId"] is { } traceId)
        {
            message += $"\n  trace id: {traceId}";
        }

        if (exit == ExitCodes.Unauthenticated)
        {
            message += "\n  run `envforge login` to sign in again";
        }

        return new CliException(exit, message);
    }
}
