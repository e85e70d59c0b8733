using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Audit;

/// <summary>
/// <c>GET /orgs/{orgId}/audit/export?from=&amp;to=&amp;format=jsonl|csv</c>: the org's trail over a bounded time range, streamed
/// as it is read (constant memory), with the seals that fall in it, the public keys, and a signed closing line; check it
/// offline with <c>EnvForge.Api audit verify FILE</c>.
/// </summary>
internal static class ExportAuditTrailHandler
{
    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, AuditSigningKeys keys, IOptions<AuditOptions> options, TimeProvider time,
        DateTimeOffset? from, DateTimeOffset? to, string? format)
    {
        if (await AuditAccess.CheckAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (from is null || to is null)
        {
            errors["range"] = ["An export needs both 'from' and 'to'."];
        }
        else if (from >= to)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }
        else if (to - from > options.Value.MaxExportSpan)
        {
            errors["range"] = [$"One export covers at most {options.Value.MaxExportSpan.TotalDays:0.##} days; export longer periods in parts."];
        }

        var csv = format switch
        {
            null or "jsonl" => false,
            "csv" => true,
            _ => Invalid(errors),
        };
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var now = time.GetUtcNow();
        var name = $"audit-{orgId:N}-{from!.Value.UtcDateTime:yyyyMMddHHmmss}-{to!.Value.UtcDateTime:yyyyMMddHHmmss}.{(csv ? "csv" : "jsonl")}";
        return TypedResults.Stream(
            output => AuditExport.WriteAsync(session, keys, orgId, from.Value, to.Value, csv, output, now, http.RequestAborted),
            csv ? "text/csv; charset=utf-8" : "application/x-ndjson", name);
    }

    private static bool Invalid(Dictionary<string, string[]> errors)
    {
        errors["format"] = ["Format must be 'jsonl' or 'csv'."];
        return false;
    }
}
