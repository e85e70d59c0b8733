using System.Collections.Concurrent;
using System.Net;
using EnvForge.Api.Audit;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EnvForge.Tests.Audit;

/// <summary>An API host for audit tests: <c>ops</c> is a platform operator, and every log line the host writes is kept.</summary>
public abstract class AuditApiTestBase(PostgresServer postgres) : ApiTestBase(postgres)
{
    public const string Operator = "ops";

    protected ConcurrentQueue<string> LogLines { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.Configure<AuditOptions>(o => o.Operators.Add(Operator));
        services.AddSingleton<ILoggerProvider>(new CapturingProvider(LogLines));
    }

    protected T Service<T>()
        where T : notnull => Api.Services.GetRequiredService<T>();

    /// <summary>Waits for the trail, then seals every chain that grew.</summary>
    protected async Task<IReadOnlyList<AuditSeal>> SealAsync()
    {
        await Api.CatchUpAsync();
        return await Service<AuditSealer>().SealAsync(CancellationToken.None);
    }

    protected async Task<Guid> OrgAsync(string owner, string name)
    {
        var response = await Api.ClientFor(owner).PostJsonAsync("/orgs", new { name });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return (await response.ReadAsync<OrganizationResponse>()).Id;
    }

    protected async Task AddMemberAsync(Guid org, string by, string userId, string role, string? displayName = null) =>
        await (await Api.ClientFor(by).PostJsonAsync($"/orgs/{org}/members", new { userId, role, displayName })).AssertStatusAsync(HttpStatusCode.Created);

    /// <summary>The org's whole trail through the API, as <paramref name="by"/> (default: <c>alice</c>, or the operator for the platform trail).</summary>
    protected async Task<IReadOnlyList<AuditEntry>> TrailAsync(Guid org, string? query = null, string? by = null)
    {
        by ??= org == Guid.Empty ? Operator : "alice";
        await Api.CatchUpAsync();
        var all = new List<AuditEntry>();
        string? cursor = null;
        do
        {
            var url = $"/orgs/{org}/audit?limit=200{(query is null ? "" : "&" + query)}{(cursor is null ? "" : "&cursor=" + cursor)}";
            var response = await Api.ClientFor(by).GetAsync(url);
            await response.AssertStatusAsync(HttpStatusCode.OK);
            var page = await response.ReadAsync<Page<AuditEntry>>();
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    protected async Task<string> ExportAsync(Guid org, string by, string format = "jsonl", TimeSpan? around = null)
    {
        var (from, to) = (DateTimeOffset.UtcNow - (around ?? TimeSpan.FromHours(1)), DateTimeOffset.UtcNow + (around ?? TimeSpan.FromHours(1)));
        var response = await Api.ClientFor(by).GetAsync(
            $"/orgs/{org}/audit/export?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&format={format}");
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    protected async Task<IReadOnlyList<AuditPublicKey>> PublicKeysAsync() =>
        (await (await Api.CreateClient().GetAsync("/audit/public-keys")).ReadAsync<PublicKeysResponse>()).Keys;

    protected static AuditVerification Verify(string export, IReadOnlyList<AuditPublicKey>? keys) =>
        AuditVerifier.Verify(new StringReader(export), keys);

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
