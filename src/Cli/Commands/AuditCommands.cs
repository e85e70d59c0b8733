using System.CommandLine;
using System.Text.Json.Nodes;
using EnvForge.Cli.Infrastructure;
using EnvForge.Domain.Audit;

namespace EnvForge.Cli.Commands;

/// <summary>
/// <c>audit tail|export|verify</c>: the org's audit trail (<c>GET /orgs/{org}/audit</c>), its export
/// (<c>GET /orgs/{org}/audit/export?from=&amp;to=&amp;format=jsonl|csv</c>) and the offline check of an export (the same
/// <see cref="AuditVerifier"/> as <c>EnvForge.Api audit verify</c>, BCL only: no server, no database).
/// </summary>
public static class AuditCommands
{
    private const string Capability = "The audit trail";

    public static Command Audit()
    {
        var action = new Option<string?>("--action");
        var actor = new Option<string?>("--actor");
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 50 };
        var follow = new Option<bool>("--follow") { Description = "Keep printing new entries as they come" };
        var tail = new Command("tail", "The latest entries (Owner, Admin, Support, Auditor)").With(action, actor, limit, follow).Does(async (parse, cli, ct) =>
        {
            string? cursor = null;
            do
            {
                var page = await cli.Api.GetAsync($"/orgs/{Options.Escape(cli.Org)}/audit?" + OrgCommands.Query(("action", parse.GetValue(action)), ("actor", parse.GetValue(actor)),
                    ("limit", parse.GetValue(limit).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", cursor)), Capability, ct);
                if (page?["items"] is JsonArray { Count: > 0 } || !parse.GetValue(follow))
                {
                    cli.Out.Table(page, ("SEQ", "sequence"), ("AT", "at"), ("ACTOR", "actor"), ("ACTION", "action"), ("SUMMARY", "summary"));
                }

                cursor = Column.Text(page?["nextCursor"]) ?? cursor;
                if (parse.GetValue(follow))
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
            }
            while (parse.GetValue(follow));
        });

        var from = new Option<string?>("--from");
        var to = new Option<string?>("--to");
        var format = new Option<string>("--format") { Description = "jsonl or csv", DefaultValueFactory = _ => "jsonl" };
        var output = new Option<string?>("--out") { Description = "Write to this file (standard output otherwise)" };
        var export = new Command("export", "Export a range with its digests and public keys, to verify offline").With(from, to, format, output).Does(async (parse, cli, ct) =>
        {
            var path = $"/orgs/{Options.Escape(cli.Org)}/audit/export?" + OrgCommands.Query(("from", parse.GetValue(from)), ("to", parse.GetValue(to)), ("format", parse.GetValue(format)));
            var body = await cli.Api.SendRawAsync(HttpMethod.Get, path, Capability, ct);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file, body, ct);
                cli.Out.Error.WriteLine($"exported to {file}");
            }
            else
            {
                cli.Out.Line(body);
            }
        });

        var exported = new Argument<string>("FILE") { Description = "An export (jsonl or csv) from `envforge audit export`" };
        var keys = new Option<string[]>("--public-key")
        {
            Description = "A key you trust: KEYID=BASE64-SPKI, or a file (the JSON of GET /audit/public-keys, or KEYID=BASE64 lines); "
                + "left out, the keys the export carries",
            AllowMultipleArgumentsPerToken = false,
        };
        var verify = new Command("verify", "Check an export offline, with no server: every entry's hash, the chain, the seals and the signatures")
            .With(exported, keys).Does((parse, cli, _) =>
            {
                var file = parse.GetValue(exported)!;
                if (!File.Exists(file))
                {
                    throw new CliException(ExitCodes.Usage, $"no such file: {file}");
                }

                List<AuditPublicKey>? trusted = null;
                try
                {
                    foreach (var key in parse.GetValue(keys) ?? [])
                    {
                        (trusted ??= []).AddRange(AuditPublicKey.Read(key));
                    }
                }
                catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or KeyNotFoundException or IOException)
                {
                    throw new CliException(ExitCodes.Usage, $"--public-key: {ex.Message}");
                }

                var result = AuditVerifier.VerifyFile(file, trusted);
                if (!result.Valid)
                {
                    throw new CliException(ExitCodes.NotVerified, result.Describe());
                }

                cli.Out.Line(result.Describe());
                return Task.CompletedTask;
            });
        return new Command("audit", "The org's audit trail").With(tail, export, verify);
    }
}
