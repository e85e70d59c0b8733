using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EnvForge.Workflows.Wallet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Infrastructure;

/// <summary>One request as the stand-in saw it: method, path, the form fields Stripe.net encoded, and every header.</summary>
public sealed record StripeStubRequest(string Method, string Path, IReadOnlyDictionary<string, string> Form, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;
}

/// <summary>
/// Stand-in for Stripe's API (tests only): a local HTTP listener that answers in Stripe's own wire format (form-encoded
/// requests, JSON objects and error bodies, idempotent replays by <c>Idempotency-Key</c>), so the real Stripe.net client
/// serializes, authenticates and retries for real. It records every request and can be scripted: a declined card, server
/// errors, the status a confirmed PaymentIntent reaches. It also builds webhook deliveries signed the way Stripe signs them
/// (<c>t=...,v1=HMAC-SHA256</c>), computed here, independently of the SDK that verifies them.
/// </summary>
public sealed class StripeStub : IAsyncDisposable
{
    public const string SecretKey = "sk_test_envforge_stub_key_0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StripeStubRequest> _requests = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _idempotent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _intents = new(StringComparer.Ordinal);
    private readonly Lock _script = new();
    private int _serverErrors;
    private string? _decline;
    private int _counter;

    private StripeStub(WebApplication app)
    {
        _app = app;
        app.Run(HandleAsync);
    }

    public string Url => _app.Urls.First();

    public IReadOnlyList<StripeStubRequest> Requests => [.. _requests];

    /// <summary>The status a confirmed PaymentIntent reaches (Stripe answers synchronously for cards: "succeeded"; "processing" for slower methods).</summary>
    public string ConfirmedStatus { get; set; } = "succeeded";

    /// <summary>The status a PaymentIntent reports when read back (null: as created).</summary>
    public string? ReadStatus { get; set; }

    public static async Task<StripeStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var stub = new StripeStub(builder.Build());
        await stub._app.StartAsync();
        return stub;
    }

    /// <summary>Options that point Stripe.net at this stand-in, as <c>Stripe__ApiBase</c> and <c>Stripe__SecretKey</c> would.</summary>
    public StripeOptions Options(params string[] webhookSecrets) => new()
    {
        SecretKey = SecretKey,
        ApiBase = Url,
        MaxNetworkRetries = 2,
        WebhookSecrets = webhookSecrets.Select((s, i) => (s, i)).ToDictionary(x => x.i.ToString(CultureInfo.InvariantCulture), x => x.s),
    };

    public IReadOnlyList<StripeStubRequest> RequestsTo(string method, string path) => [.. _requests.Where(r => r.Method == method && r.Path == path)];

    /// <summary>The next <paramref name="count"/> requests answer 500, as Stripe does on its bad days (Stripe.net retries them).</summary>
    public void FailNext(int count)
    {
        lock (_script)
        {
            _serverErrors = count;
        }
    }

    /// <summary>The next PaymentIntent confirmation is declined (402 card_error with this decline code); null to stop.</summary>
    public void Decline(string? declineCode)
    {
        lock (_script)
        {
            _decline = declineCode;
        }
    }

    /// <summary>The stand-in's PaymentIntent as Stripe's JSON, to put in a webhook event.</summary>
    public JsonObject Intent(string id) => (JsonObject)_intents[id].DeepClone();

    /// <summary>A webhook event as Stripe sends it, pinned to the API version Stripe.net speaks.</summary>
    public static string Event(string type, JsonObject dataObject, string? eventId = null, DateTimeOffset? created = null) => new JsonObject
    {
        ["id"] = eventId ?? $"evt_{Guid.NewGuid():N}",
        ["object"] = "event",
        ["api_version"] = Stripe.StripeConfiguration.ApiVersion,
        ["created"] = (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = dataObject },
    }.ToJsonString();

    /// <summary>The <c>Stripe-Signature</c> header for <paramref name="payload"/>: <c>t={unix},v1={hex HMAC-SHA256(secret, "t.payload")}</c>.</summary>
    public static string Sign(string payload, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{payload}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    public static JsonObject Charge(string paymentIntentId, long amount, long amountRefunded, string currency = "eur") => new()
    {
        ["id"] = $"ch_{Guid.NewGuid():N}",
        ["object"] = "charge",
        ["amount"] = amount,
        ["amount_refunded"] = amountRefunded,
        ["currency"] = currency,
        ["payment_intent"] = paymentIntentId,
        ["refunded"] = amountRefunded >= amount,
        ["status"] = "succeeded",
        ["metadata"] = new JsonObject(),
    };

    public static JsonObject Dispute(string paymentIntentId, long amount, string currency = "eur") => new()
    {
        ["id"] = $"dp_{Guid.NewGuid():N}",
        ["object"] = "dispute",
        ["amount"] = amount,
        ["currency"] = currency,
        ["payment_intent"] = paymentIntentId,
        ["charge"] = $"ch_{Guid.NewGuid():N}",
        ["reason"] = "fraudulent",
        ["status"] = "needs_response",
        ["metadata"] = new JsonObject(),
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext http)
    {
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var form = http.Request.HasFormContentType
            ? (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : [];
        var path = http.Request.Path.Value ?? "/";
        _requests.Enqueue(new StripeStubRequest(http.Request.Method, path, form, headers));

        if (headers.GetValueOrDefault("Authorization") != $"Bearer {SecretKey}")
        {
            await WriteAsync(http, 401, Error("invalid_request_error", "api_key_invalid", null));
            return;
        }

        bool fail;
        lock (_script)
        {
            fail = _serverErrors > 0;
            _serverErrors -= fail ? 1 : 0;
        }

        if (fail)
        {
            await WriteAsync(http, 500, Error("api_error", null, null));
            return;
        }

        var key = headers.GetValueOrDefault("Idempotency-Key");
        if (http.Request.Method == "POST" && key is { Length: > 0 } && _idempotent.TryGetValue($"{path} {key}", out var replay))
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            await WriteRawAsync(http, replay.Status, replay.Body);
            return;
        }

        var (status, body) = (http.Request.Method, path) switch
        {
            ("POST", "/v1/payment_intents") => CreateIntent(form),
            ("GET", var p) when p.StartsWith("/v1/payment_intents/", StringComparison.Ordinal) => ReadIntent(p["/v1/payment_intents/".Length..]),
            ("POST", "/v1/refunds") => CreateRefund(form),
            _ => (404, Error("invalid_request_error", "resource_missing", null)),
        };
        var text = body.ToJsonString();
        if (http.Request.Method == "POST" && key is { Length: > 0 })
        {
            _idempotent[$"{path} {key}"] = (status, text);
        }

        await WriteRawAsync(http, status, text);
    }

    private (int, JsonObject) CreateIntent(Dictionary<string, string> form)
    {
        var id = $"pi_stub{Interlocked.Increment(ref _counter):D6}";
        string? decline;
        lock (_script)
        {
            decline = _decline;
        }

        var amount = long.Parse(form["amount"], CultureInfo.InvariantCulture);
        var metadata = new JsonObject();
        foreach (var (k, v) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[k["metadata[".Length..^1]] = v;
        }

        var intent = new JsonObject
        {
            ["id"] = id,
            ["object"] = "payment_intent",
            ["amount"] = amount,
            ["amount_received"] = decline is null && ConfirmedStatus == "succeeded" ? amount : 0,
            ["currency"] = form.GetValueOrDefault("currency"),
            ["customer"] = form.GetValueOrDefault("customer"),
            ["payment_method"] = form.GetValueOrDefault("payment_method"),
            ["status"] = decline is null ? ConfirmedStatus : "requires_payment_method",
            ["metadata"] = metadata,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["livemode"] = false,
        };
        if (decline is not null)
        {
            intent["last_payment_error"] = new JsonObject { ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = decline, ["message"] = "Your card was declined." };
        }

        _intents[id] = intent;
        return decline is null ? (200, intent) : (402, Error("card_error", "card_declined", decline, (JsonObject)intent.DeepClone()));
    }

    private (int, JsonObject) ReadIntent(string id)
    {
        if (!_intents.TryGetValue(id, out var intent))
        {
            return (404, Error("invalid_request_error", "resource_missing", null));
        }

        var copy = (JsonObject)intent.DeepClone();
        if (ReadStatus is { } status)
        {
            copy["status"] = status;
            copy["amount_received"] = status == "succeeded" ? copy["amount"]!.GetValue<long>() : 0;
        }

        return (200, copy);
    }

    private (int, JsonObject) CreateRefund(Dictionary<string, string> form)
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[k["metadata[".Length..^1]] = v;
        }

        if (!_intents.ContainsKey(form.GetValueOrDefault("payment_intent", "")))
        {
            return (400, Error("invalid_request_error", "resource_missing", null));
        }

        return (200, new JsonObject
        {
            ["id"] = $"re_stub{Interlocked.Increment(ref _counter):D6}",
            ["object"] = "refund",
            ["amount"] = long.Parse(form["amount"], CultureInfo.InvariantCulture),
            ["currency"] = "eur",
            ["payment_intent"] = form["payment_intent"],
            ["status"] = "succeeded",
            ["metadata"] = metadata,
        });
    }

    private static JsonObject Error(string type, string? code, string? declineCode, JsonObject? intent = null)
    {
        var error = new JsonObject { ["type"] = type, ["message"] = "stub error" };
        if (code is not null)
        {
            error["code"] = code;
        }

        if (declineCode is not null)
        {
            error["decline_code"] = declineCode;
        }

        if (intent is not null)
        {
            error["payment_intent"] = intent;
        }

        return new JsonObject { ["error"] = error };
    }

    private static Task WriteAsync(HttpContext http, int status, JsonObject body) => WriteRawAsync(http, status, body.ToJsonString());

    private static async Task WriteRawAsync(HttpContext http, int status, string body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.Headers["Request-Id"] = $"req_stub{Guid.NewGuid():N}";
        await http.Response.WriteAsync(body);
    }
}
