using EnvForge.Api.Infrastructure;
using EnvForge.Projections.Sessions;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Sessions;

internal static class ListMySessionsHandler
{
    public static async Task<Ok<IReadOnlyList<SessionResponse>>> HandleAsync(HttpContext http, IQuerySession session, bool? all)
    {
        var sessions = await SessionDirectory.OfAsync(session, http.User.Subject(), all ?? false, http.RequestAborted);
        var current = http.User.SessionId();
        return TypedResults.Ok<IReadOnlyList<SessionResponse>>([.. sessions.Select(s => SessionResponse.From(s, current))]);
    }
}
