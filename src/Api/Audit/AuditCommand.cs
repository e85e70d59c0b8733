using System.Globalization;
using System.Text.Json;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Api.Audit;

/// <summary>
/// <c>EnvForge.Api audit ...</c>: offline and operator commands.
/// <list type="bullet">
/// <item><c>audit verify FILE [--public-key FILE|ID=BASE64]...</c>: checks an export; exit 0 when it verifies, 1 naming the first entry that does not.</item>
/// <item><c>audit rebuild NAME|--all</c>: rebuilds projections with progress (needs <c>ConnectionStrings__Marten</c>; stop the projector first).</item>
/// <item><c>audit keys</c> prints the public keys; <c>audit keys rotate</c> adds a signing key to the data directory's key file.</item>
/// </list>
/// </summary>
public static class AuditCommand
{
    public const string Usage =
        "usage: EnvForge.Api audit verify FILE [--public-key FILE|KEYID=BASE64-SPKI]...\n" +
        "       EnvForge.Api audit rebuild NAME|--all            (ConnectionStrings__Marten; run while no projector runs)\n" +
        "       EnvForge.Api audit keys [rotate]                  (ENVFORGE_DATA_DIR)";

    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            return args switch
            {
                ["verify", var file, .. var rest] => Verify(file, rest, output, error),
                ["rebuild", var name] => new ConfigurationBuilder().AddEnvironmentVariables().Build().GetConnectionString("Marten") is { Length: > 0 } cs
                    ? await RebuildAsync(cs, name, output, error)
                    : Fail(error, "Set ConnectionStrings__Marten to the event store's PostgreSQL.", 2),
                ["keys"] => Keys(output, rotate: false),
                ["keys", "rotate"] => Keys(output, rotate: true),
                _ => Fail(error, Usage, 2),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or JsonException or ArgumentException)
        {
            return Fail(error, ex.Message, 2);
        }
    }

    private static int Verify(string file, string[] rest, TextWriter output, TextWriter error)
    {
        List<AuditPublicKey>? trusted = null;
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] != "--public-key" || i + 1 >= rest.Length)
            {
                return Fail(error, Usage, 2);
            }

            trusted ??= [];
            trusted.AddRange(AuditPublicKey.Read(rest[++i]));
        }

        var result = AuditVerifier.VerifyFile(file, trusted);
        output.WriteLine(result.Describe());
        return result.Valid ? 0 : 1;
    }

    /// <summary>Rebuilds one projection (or <c>--all</c>) of the store at <paramref name="connectionString"/>, printing progress; 0 when every rebuilt read model equals the one it replaced.</summary>
    public static async Task<int> RebuildAsync(string connectionString, string name, TextWriter output, TextWriter error)
    {
        using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await using var services = new ServiceCollection().BuildServiceProvider();
        var rebuilds = new ProjectionRebuilds(store, TimeProvider.System, services);
        var names = name == "--all" ? rebuilds.Names : [name];
        if (names.Except(rebuilds.Names).FirstOrDefault() is { } unknown)
        {
            return Fail(error, $"no projection named '{unknown}'; there are: {string.Join(", ", rebuilds.Names)}", 2);
        }

        var allEqual = true;
        foreach (var projection in names)
        {
            var result = await rebuilds.RunAsync(projection, Guid.NewGuid(), p => output.WriteLine(Line(p)), CancellationToken.None);
            allEqual &= result.Status == "succeeded" && result.Comparison?.Equal == true;
            if (result.Comparison is { } c)
            {
                output.WriteLine(c.Equal
                    ? $"{projection}: the rebuilt read model equals the one it replaced ({string.Join(", ", c.After.Select(d => $"{d.Table}: {d.Rows} rows"))})"
                    : $"{projection}: DIFFERS from the one it replaced: before {Json(c.Before)}, after {Json(c.After)}; chains: {c.Chains?.FirstDifference}");
            }
        }

        return allEqual ? 0 : 1;
    }

    private static string Line(RebuildProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Projection}: {p.Status} {p.EventsDone}/{p.EventsTotal} events, {p.EventsPerSecond:0} events/s, ETA {(p.SecondsLeft is { } s ? $"{s:0} s" : "-")}{(p.Error is null ? "" : " " + p.Error)}");

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);

    private static int Keys(TextWriter output, bool rotate)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var dataDirectory = DataDirectory.Resolve(configuration);
        if (rotate)
        {
            output.WriteLine($"added signing key {AuditSigningKeys.Rotate(dataDirectory)} to {Path.Combine(dataDirectory, AuditSigningKeys.FileName)}; restart the projector to sign with it");
        }

        using var keys = AuditSigningKeys.Load(new Dictionary<string, string>(), null, dataDirectory);
        output.WriteLine(JsonSerializer.Serialize(new PublicKeysResponse(keys.PublicKeys), Indented));
        return 0;
    }

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine(message);
        return code;
    }
}
