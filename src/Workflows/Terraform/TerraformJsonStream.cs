using System.Text.Json;
using System.Text.RegularExpressions;
using EnvForge.Workflows.Aws;

namespace EnvForge.Workflows.Terraform;

/// <summary>
/// Reads terraform's machine-readable UI (<c>-json</c>: one JSON message per line, each with a <c>type</c> and an
/// <c>@message</c>) into progress and a secret-free result: resource counts from <c>change_summary</c>, output names (never
/// values; sensitive outputs not even by name), instance ids from the <c>instance_ids</c> output, error diagnostics.
/// Lines that are not JSON are never echoed; they are only scanned for errors and expired credentials.
/// </summary>
public sealed partial class TerraformJsonStream(AwsSessionCredentials? credentials = null)
{
    public const string InstanceIdsOutput = "instance_ids";

    private const int MaxMessageLength = 500;
    private const int MaxErrors = 10;

    private static readonly string[] ExpiredCredentialMarkers =
    [
        "ExpiredToken",
        "security token included in the request is expired",
        "provided token has expired",
    ];

    private readonly List<string> errors = [];
    private readonly List<string> plainErrors = [];
    private readonly List<string> outputNames = [];
    private readonly List<string> instanceIds = [];
    private int sensitiveOutputs;
    private int malformedInstanceIds;
    private (int Add, int Change, int Remove, string Operation)? changes;

    public IReadOnlyList<string> InstanceIds => instanceIds;

    public IReadOnlyList<string> OutputNames => outputNames;

    /// <summary>Error diagnostics' summaries, redacted; plain-text "Error:" lines when terraform printed no JSON diagnostic.</summary>
    public IReadOnlyList<string> Errors => errors.Count > 0 ? errors : plainErrors;

    public bool MentionsExpiredCredentials { get; private set; }

    /// <summary>Reads one line of stdout; returns the progress it carries, if any.</summary>
    public TerraformProgress? Read(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith('{'))
        {
            ReadPlain(line);
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            return Read(document.RootElement);
        }
        catch (JsonException)
        {
            ReadPlain(line);
            return null;
        }
    }

    /// <summary>Reads a line that is not terraform JSON (init's output, stderr): only errors and expiry are noted.</summary>
    public void ReadPlain(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        NoteExpiry(line);
        var text = line.TrimStart(' ', '\t', '│', '╷', '╵');
        if (text.StartsWith("Error:", StringComparison.Ordinal) && plainErrors.Count < MaxErrors)
        {
            plainErrors.Add(Clean(text["Error:".Length..]));
        }
    }

    /// <summary>"apply: 1 added, 0 changed, 0 destroyed; outputs: instance_ids, private_ip (+1 sensitive)".</summary>
    public string Summary(TerraformCommand command)
    {
        var verb = Verb(command);
        var counts = changes is { } c
            ? $"{verb}: {c.Add} added, {c.Change} changed, {c.Remove} destroyed"
            : $"{verb}: no change summary";
        var outputs = outputNames.Count == 0 && sensitiveOutputs == 0
            ? "outputs: none"
            : "outputs: " + string.Join(", ", outputNames) + (sensitiveOutputs > 0 ? $" (+{sensitiveOutputs} sensitive)" : string.Empty);
        var malformed = malformedInstanceIds > 0 ? $"; ignored {malformedInstanceIds} malformed instance id(s)" : string.Empty;
        return $"{counts}; {outputs}{malformed}";
    }

    public static string Verb(TerraformCommand command) => command == TerraformCommand.Destroy ? "destroy" : "apply";

    private TerraformProgress? Read(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || String(message, "type") is not { } type)
        {
            return null;
        }

        var text = String(message, "@message") ?? type;
        switch (type)
        {
            case "change_summary" when message.TryGetProperty("changes", out var counts) && counts.ValueKind == JsonValueKind.Object:
                changes = (Int(counts, "add"), Int(counts, "change"), Int(counts, "remove"), String(counts, "operation") ?? string.Empty);
                break;
            case "outputs" when message.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object:
                ReadOutputs(outputs);
                text = "outputs: " + string.Join(", ", outputNames);
                break;
            case "diagnostic" when message.TryGetProperty("diagnostic", out var diagnostic) && diagnostic.ValueKind == JsonValueKind.Object:
                var summary = String(diagnostic, "summary") ?? string.Empty;
                NoteExpiry(summary);
                NoteExpiry(String(diagnostic, "detail") ?? string.Empty);
                if (String(diagnostic, "severity") == "error" && errors.Count < MaxErrors)
                {
                    errors.Add(Clean(summary));
                }

                break;
            default:
                break;
        }

        return new TerraformProgress(type, Clean(text));
    }

    private void ReadOutputs(JsonElement outputs)
    {
        outputNames.Clear();
        instanceIds.Clear();
        sensitiveOutputs = 0;
        malformedInstanceIds = 0;
        foreach (var output in outputs.EnumerateObject())
        {
            var sensitive = output.Value.ValueKind == JsonValueKind.Object
                && output.Value.TryGetProperty("sensitive", out var flag) && flag.ValueKind == JsonValueKind.True;
            if (sensitive)
            {
                sensitiveOutputs++;
                continue;
            }

            if (!OutputName().IsMatch(output.Name))
            {
                continue;
            }

            outputNames.Add(output.Name);
            if (output.Name == InstanceIdsOutput
                && output.Value.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && InstanceId().IsMatch(item.GetString()!))
                    {
                        instanceIds.Add(item.GetString()!);
                    }
                    else
                    {
                        malformedInstanceIds++;
                    }
                }
            }
        }
    }

    private void NoteExpiry(string text)
    {
        if (ExpiredCredentialMarkers.Any(marker => text.Contains(marker, StringComparison.OrdinalIgnoreCase)))
        {
            MentionsExpiredCredentials = true;
        }
    }

    private string Clean(string text)
    {
        var redacted = Redaction.Redact(text.Trim(), credentials);
        return redacted.Length <= MaxMessageLength ? redacted : redacted[..MaxMessageLength] + "…";
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : 0;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex OutputName();

    [GeneratedRegex("^i-[0-9a-f]{8,32}$")]
    private static partial Regex InstanceId();
}
