using Microsoft.Extensions.Options;

namespace EnvForge.Api.Gateway;

/// <summary>
/// Keeps the server's and the proxy's own logging from ever writing a request's URL, query string or cookies: a link's
/// first URL carries its token, and apps put tokens in queries. Below Warning, Kestrel (bad requests quote the request
/// line), the hosting diagnostics and HTTP logging (request URLs) and YARP (the forwarded URL) write nothing, whatever the
/// configuration asks, even a rule naming their exact category. Their warnings and errors name error kinds, not URLs.
/// </summary>
public sealed class QuietLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <summary>Categories (and those below them) kept at Warning and above.</summary>
    public static readonly string[] Quieted =
    [
        "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.HttpLogging", "Yarp",
    ];

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return Quieted.Any(q => categoryName.Equals(q, StringComparison.Ordinal) || categoryName.StartsWith(q + ".", StringComparison.Ordinal))
            ? new WarningsOnly(logger)
            : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces the host's logger factory with one that quiets <see cref="Quieted"/> (the inner factory built as the host would).</summary>
    public static void Install(IServiceCollection services)
    {
        var existing = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory));
        if (existing is not null)
        {
            services.Remove(existing);
        }

        services.AddSingleton<ILoggerFactory>(sp => new QuietLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(), sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(), sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>())));
    }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
