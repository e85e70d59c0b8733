using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using EnvForge.Workflows.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Infrastructure;

/// <summary>One request as the stand-in saw it: which service and action, the form fields or JSON body, and every header.</summary>
public sealed record AwsStubRequest(
    string Service, string Action, IReadOnlyDictionary<string, string> Form, string? Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : string.Empty;
}

/// <summary>
/// One scripted answer to SSM GetCommandInvocation: a status (Pending, InProgress, Delayed, Success, Cancelled, TimedOut,
/// Failed, ...), the script's exit code, and the finer StatusDetails (the status itself unless named).
/// </summary>
public sealed record AwsStubInvocation(string Status, int ResponseCode = -1, string? StatusDetails = null)
{
    public static AwsStubInvocation Success { get; } = new("Success", 0);

    public static AwsStubInvocation InProgress { get; } = new("InProgress");

    public static AwsStubInvocation Failed(int responseCode = 1) => new("Failed", responseCode);
}

/// <summary>
/// Stand-in for AWS STS, EC2 and SSM (tests only): a local HTTP listener that answers in each service's own wire format
/// (STS and EC2 query protocol with XML answers, SSM JSON 1.1), so the real SDK clients serialize, sign and retry for
/// real. It records every request and can be scripted: throttling, AccessDenied, instance states, SSM ping statuses,
/// parameter values, Run Command invocation results. It does not check signatures; tests assert on the recorded
/// Authorization header instead.
/// </summary>
public sealed class AwsStub : IAsyncDisposable
{
    private const string StsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
    private const string Ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

    private static readonly Dictionary<string, int> Ec2StateCodes = new(StringComparer.Ordinal)
    {
        ["pending"] = 0,
        ["running"] = 16,
        ["shutting-down"] = 32,
        ["terminated"] = 48,
        ["stopping"] = 64,
        ["stopped"] = 80,
    };

    private readonly WebApplication app;
    private readonly ConcurrentQueue<AwsStubRequest> requests = new();
    private readonly ConcurrentDictionary<string, string> instanceStates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> pingStatuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> parameters = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AwsSessionCredentials> issued = new();
    private readonly ConcurrentDictionary<string, string[]> sentCommands = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Type, string Message)> ssmErrors = new(StringComparer.Ordinal);
    private readonly Queue<AwsStubInvocation> invocations = new();
    private AwsStubInvocation lastInvocation = AwsStubInvocation.Success;
    private int unregisteredInvocationPolls;
    private readonly Lock scriptLock = new();
    private int throttledAssumeRoles;
    private string? assumeRoleError;
    private int credentialCounter;

    private AwsStub(WebApplication app)
    {
        this.app = app;
        app.Run(HandleAsync);
    }

    /// <summary>Base URL, e.g. http://127.0.0.1:41234, for all three services (they are told apart by action and target).</summary>
    public string Url => app.Urls.First();

    public IReadOnlyList<AwsStubRequest> Requests => [.. requests];

    /// <summary>Credentials handed out by AssumeRole, in order.</summary>
    public IReadOnlyList<AwsSessionCredentials> Issued => [.. issued];

    /// <summary>What GetCallerIdentity answers: EnvForge's own identity.</summary>
    public string CallerArn { get; set; } = "arn:aws:iam::111122223333:user/envforge-platform";

    public static async Task<AwsStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var stub = new AwsStub(builder.Build());
        await stub.app.StartAsync();
        return stub;
    }

    /// <summary>Options that point every SDK client at this stand-in.</summary>
    public AwsOptions Options(int maxErrorRetry = 4) => new()
    {
        Region = "us-east-1",
        StsServiceUrl = Url,
        Ec2ServiceUrl = Url,
        SsmServiceUrl = Url,
        MaxErrorRetry = maxErrorRetry,
    };

    public IReadOnlyList<AwsStubRequest> RequestsFor(string action) => [.. requests.Where(r => r.Action == action)];

    /// <summary>The next <paramref name="count"/> AssumeRole calls answer 400 Throttling, as STS does under load.</summary>
    public void ThrottleNextAssumeRoles(int count)
    {
        lock (scriptLock)
        {
            throttledAssumeRoles = count;
        }
    }

    /// <summary>Every AssumeRole answers 403 AccessDenied (wrong external id, or a trust policy that does not name us).</summary>
    public void DenyAssumeRole()
    {
        lock (scriptLock)
        {
            assumeRoleError = "AccessDenied";
        }
    }

    public void SetInstance(string instanceId, string state) => instanceStates[instanceId] = state;

    public void SetPing(string instanceId, string pingStatus) => pingStatuses[instanceId] = pingStatus;

    public void SetParameter(string name, string value) => parameters[name] = value;

    /// <summary>
    /// What the next GetCommandInvocation polls answer, in order (e.g. InProgress, InProgress, Success); the last one then
    /// repeats. Unscripted, every poll answers Success with exit code 0.
    /// </summary>
    public void ScriptInvocations(params AwsStubInvocation[] answers)
    {
        lock (scriptLock)
        {
            invocations.Clear();
            foreach (var answer in answers)
            {
                invocations.Enqueue(answer);
            }
        }
    }

    /// <summary>
    /// The next <paramref name="polls"/> GetCommandInvocation calls answer InvocationDoesNotExist, as SSM does right after
    /// SendCommand.
    /// </summary>
    public void DelayInvocationRegistration(int polls)
    {
        lock (scriptLock)
        {
            unregisteredInvocationPolls = polls;
        }
    }

    /// <summary>Every SSM <paramref name="action"/> answers 400 with this error type and message (AWS's messages often quote ARNs).</summary>
    public void FailSsm(string action, string errorType, string message) => ssmErrors[action] = (errorType, message);

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private async Task HandleAsync(HttpContext http)
    {
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var target = http.Request.Headers["X-Amz-Target"].ToString();
        if (target.StartsWith("AmazonSSM.", StringComparison.Ordinal))
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var action = target["AmazonSSM.".Length..];
            requests.Enqueue(new AwsStubRequest("ssm", action, new Dictionary<string, string>(), body, headers));
            await (ssmErrors.TryGetValue(action, out var error)
                ? JsonAsync(http, 400, new JsonObject { ["__type"] = error.Type, ["message"] = error.Message })
                : SsmAsync(http, action, JsonNode.Parse(body) ?? new JsonObject()));
            return;
        }

        var form = http.Request.HasFormContentType
            ? (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : [];
        var queryAction = form.GetValueOrDefault("Action", string.Empty);
        var service = queryAction is "AssumeRole" or "GetCallerIdentity" ? "sts" : "ec2";
        requests.Enqueue(new AwsStubRequest(service, queryAction, form, null, headers));
        await (queryAction switch
        {
            "AssumeRole" => AssumeRoleAsync(http, form),
            "GetCallerIdentity" => XmlAsync(http, 200, StsResponse("GetCallerIdentity", new XElement(
                Sts("GetCallerIdentityResult"),
                new XElement(Sts("Arn"), CallerArn),
                new XElement(Sts("UserId"), "AIDASTUBPLATFORMUSER"),
                new XElement(Sts("Account"), "111122223333")))),
            "DescribeInstances" => DescribeInstancesAsync(http, form),
            _ => XmlAsync(http, 400, Ec2Error("InvalidAction", $"The action {queryAction} is not valid for this web service.")),
        });
    }

    private Task AssumeRoleAsync(HttpContext http, Dictionary<string, string> form)
    {
        lock (scriptLock)
        {
            if (throttledAssumeRoles > 0)
            {
                throttledAssumeRoles--;
                return XmlAsync(http, 400, StsError("Throttling", "Rate exceeded"));
            }

            if (assumeRoleError is { } code)
            {
                return XmlAsync(http, 403, StsError(code, "User: arn:aws:iam::111122223333:user/envforge-platform is not authorized to perform: sts:AssumeRole"));
            }
        }

        var n = Interlocked.Increment(ref credentialCounter);
        var seconds = int.TryParse(form.GetValueOrDefault("DurationSeconds"), CultureInfo.InvariantCulture, out var s) ? s : 3600;
        var credentials = new AwsSessionCredentials(
            $"ASIASTUB{n:D12}",
            $"StubSecretAccessKey/{n:D20}",
            $"StubSessionToken{n:D4}" + new string('Q', 300),
            DateTimeOffset.UtcNow.AddSeconds(seconds));
        issued.Enqueue(credentials);
        var session = form.GetValueOrDefault("RoleSessionName", "session");
        var role = form.GetValueOrDefault("RoleArn", "arn:aws:iam::444455556666:role/unknown");
        return XmlAsync(http, 200, StsResponse("AssumeRole", new XElement(
            Sts("AssumeRoleResult"),
            new XElement(
                Sts("Credentials"),
                new XElement(Sts("AccessKeyId"), credentials.AccessKeyId),
                new XElement(Sts("SecretAccessKey"), credentials.SecretAccessKey),
                new XElement(Sts("SessionToken"), credentials.SessionToken),
                new XElement(Sts("Expiration"), credentials.Expiration.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))),
            new XElement(
                Sts("AssumedRoleUser"),
                new XElement(Sts("Arn"), role.Replace(":iam::", ":sts::", StringComparison.Ordinal).Replace(":role/", ":assumed-role/", StringComparison.Ordinal) + "/" + session),
                new XElement(Sts("AssumedRoleId"), $"AROASTUBROLEID:{session}")))));
    }

    private Task DescribeInstancesAsync(HttpContext http, Dictionary<string, string> form)
    {
        var ids = form.Where(f => f.Key.StartsWith("InstanceId.", StringComparison.Ordinal)).Select(f => f.Value).ToList();
        if (ids.FirstOrDefault(id => !instanceStates.ContainsKey(id)) is { } unknown)
        {
            return XmlAsync(http, 400, Ec2Error("InvalidInstanceID.NotFound", $"The instance ID '{unknown}' does not exist"));
        }

        XNamespace ns = Ec2Namespace;
        var instances = ids.Select(id => new XElement(
            ns + "item",
            new XElement(ns + "instanceId", id),
            new XElement(ns + "imageId", "ami-0stub0000000000"),
            new XElement(
                ns + "instanceState",
                new XElement(ns + "code", Ec2StateCodes.GetValueOrDefault(instanceStates[id], 0)),
                new XElement(ns + "name", instanceStates[id])),
            new XElement(ns + "instanceType", "t3.medium")));
        return XmlAsync(http, 200, new XElement(
            ns + "DescribeInstancesResponse",
            new XElement(ns + "requestId", Guid.NewGuid()),
            new XElement(
                ns + "reservationSet",
                new XElement(
                    ns + "item",
                    new XElement(ns + "reservationId", "r-0stub000000000000"),
                    new XElement(ns + "ownerId", "444455556666"),
                    new XElement(ns + "instancesSet", instances)))));
    }

    private Task SsmAsync(HttpContext http, string action, JsonNode body) => action switch
    {
        "DescribeInstanceInformation" => JsonAsync(http, 200, new JsonObject
        {
            ["InstanceInformationList"] = new JsonArray([.. FilteredInstanceIds(body)
                .Where(pingStatuses.ContainsKey)
                .Select(id => new JsonObject
                {
                    ["InstanceId"] = id,
                    ["PingStatus"] = pingStatuses[id],
                    ["LastPingDateTime"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["PlatformType"] = "Linux",
                    ["ResourceType"] = "EC2Instance",
                })]),
        }),
        "GetParameters" => GetParametersAsync(http, body),
        "SendCommand" => SendCommandAsync(http, body),
        "GetCommandInvocation" => GetCommandInvocationAsync(http, body),
        _ => JsonAsync(http, 400, new JsonObject { ["__type"] = "UnknownOperationException", ["message"] = $"unknown operation {action}" }),
    };

    private Task SendCommandAsync(HttpContext http, JsonNode body)
    {
        var commandId = Guid.NewGuid().ToString();
        sentCommands[commandId] = [.. (body["InstanceIds"]?.AsArray() ?? []).Select(i => i!.GetValue<string>())];
        return JsonAsync(http, 200, new JsonObject
        {
            ["Command"] = new JsonObject
            {
                ["CommandId"] = commandId,
                ["DocumentName"] = body["DocumentName"]?.GetValue<string>(),
                ["InstanceIds"] = body["InstanceIds"]?.DeepClone(),
                ["Status"] = "Pending",
            },
        });
    }

    private Task GetCommandInvocationAsync(HttpContext http, JsonNode body)
    {
        var commandId = body["CommandId"]?.GetValue<string>() ?? string.Empty;
        var instanceId = body["InstanceId"]?.GetValue<string>() ?? string.Empty;
        AwsStubInvocation? answer = null;
        lock (scriptLock)
        {
            if (unregisteredInvocationPolls > 0)
            {
                unregisteredInvocationPolls--;
            }
            else if (sentCommands.TryGetValue(commandId, out var instances) && instances.Contains(instanceId, StringComparer.Ordinal))
            {
                answer = lastInvocation = invocations.TryDequeue(out var next) ? next : lastInvocation;
            }
        }

        // Real SSM answers this for a command it has not registered yet, and for a command or instance it never saw.
        return answer is null
            ? JsonAsync(http, 400, new JsonObject { ["__type"] = "InvocationDoesNotExist" })
            : JsonAsync(http, 200, new JsonObject
            {
                ["CommandId"] = commandId,
                ["InstanceId"] = instanceId,
                ["DocumentName"] = "AWS-RunShellScript",
                ["PluginName"] = "aws:runShellScript",
                ["Status"] = answer.Status,
                ["StatusDetails"] = answer.StatusDetails ?? answer.Status,
                ["ResponseCode"] = answer.ResponseCode,
                ["StandardOutputContent"] = string.Empty,
                ["StandardErrorContent"] = string.Empty,
            });
    }

    private Task GetParametersAsync(HttpContext http, JsonNode body)
    {
        var names = body["Names"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        return JsonAsync(http, 200, new JsonObject
        {
            ["Parameters"] = new JsonArray([.. names.Where(parameters.ContainsKey).Select(name => new JsonObject
            {
                ["Name"] = name,
                ["Type"] = "SecureString",
                ["Value"] = parameters[name],
                ["Version"] = 1,
                ["DataType"] = "text",
            })]),
            ["InvalidParameters"] = new JsonArray([.. names.Where(n => !parameters.ContainsKey(n)).Select(n => JsonValue.Create(n))]),
        });
    }

    // Both the current filter shape (Filters: Key/Values) and the legacy one (InstanceInformationFilterList: key/valueSet).
    private IEnumerable<string> FilteredInstanceIds(JsonNode body)
    {
        var filters = (body["Filters"]?.AsArray() ?? []).Select(f => (Key: f?["Key"], Values: f?["Values"]))
            .Concat((body["InstanceInformationFilterList"]?.AsArray() ?? []).Select(f => (Key: f?["key"], Values: f?["valueSet"])))
            .Where(f => f.Key?.GetValue<string>() == "InstanceIds")
            .ToList();
        return filters.Count == 0
            ? pingStatuses.Keys
            : filters.SelectMany(f => f.Values?.AsArray() ?? []).Select(v => v!.GetValue<string>()).Distinct();
    }

    private static XName Sts(string name) => XName.Get(name, StsNamespace);

    private static XElement StsResponse(string action, XElement result) => new(
        Sts($"{action}Response"),
        result,
        new XElement(Sts("ResponseMetadata"), new XElement(Sts("RequestId"), Guid.NewGuid())));

    private static XElement StsError(string code, string message) => new(
        Sts("ErrorResponse"),
        new XElement(Sts("Error"), new XElement(Sts("Type"), "Sender"), new XElement(Sts("Code"), code), new XElement(Sts("Message"), message)),
        new XElement(Sts("RequestId"), Guid.NewGuid()));

    private static XElement Ec2Error(string code, string message) => new(
        "Response",
        new XElement("Errors", new XElement("Error", new XElement("Code", code), new XElement("Message", message))),
        new XElement("RequestID", Guid.NewGuid()));

    private static async Task XmlAsync(HttpContext http, int status, XElement body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/xml";
        await http.Response.WriteAsync(new XDocument(new XDeclaration("1.0", "UTF-8", null), body).Declaration + body.ToString(SaveOptions.DisableFormatting));
    }

    private static async Task JsonAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/x-amz-json-1.1";
        await http.Response.WriteAsync(body.ToJsonString(JsonSerializerOptions.Default));
    }
}
