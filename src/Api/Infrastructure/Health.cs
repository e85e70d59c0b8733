using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Local;
using Marten;

namespace EnvForge.Api.Infrastructure;

/// <param name="Provider">Where workspaces are provisioned: <c>Aws</c> or <c>Local</c> (this machine's Docker engine), and why.</param>
public sealed record HealthReport(string Status, string Postgres, string Temporal, string? TemporalReason, string Projections, string Provider, string ProviderReason);

public static class Health
{
    /// <summary><c>/alive</c>: the process answers. <c>/health</c>: what it depends on, including whether workflows can run.</summary>
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/alive", () => TypedResults.Ok(new { status = "alive" })).ExcludeFromDescription();
        app.MapGet("/health", async (IDocumentStore store, TemporalRuntime temporal, IConfiguration configuration, InfrastructureSelection provider, CancellationToken ct) =>
        {
            var postgres = await PingAsync(store, ct);
            var report = new HealthReport(
                postgres ? "ok" : "unhealthy",
                postgres ? "ok" : "unavailable",
                temporal.State.ToString().ToLowerInvariant(),
                temporal.UnavailableReason,
                configuration.GetValue("EnvForge:RunProjections", true) ? "running" : "off",
                provider.Provider.ToString(),
                provider.Reason);
            return Results.Json(report, statusCode: postgres ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health");
    }

    private static async Task<bool> PingAsync(IDocumentStore store, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var session = store.QuerySession();
            var rows = await session.AdvancedSql.QueryAsync<int>("select 1", timeout.Token);
            return rows.Count == 1;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }
}
