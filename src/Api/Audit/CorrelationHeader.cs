namespace EnvForge.Api.Audit;

/// <summary>
/// Echoes every request's correlation id (its trace id: the one stamped on every event it appends and given as
/// <c>traceId</c> in ProblemDetails) in the <c>X-Correlation-Id</c> response header, so a caller can find what their
/// request did in the audit trail (<c>?correlationId=</c>).
/// </summary>
internal sealed class CorrelationHeader : IStartupFilter
{
    public const string Name = "X-Correlation-Id";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, inner) =>
        {
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[Name] = http.TraceIdentifier;
                return Task.CompletedTask;
            });
            return inner(http);
        });
        next(app);
    };
}
