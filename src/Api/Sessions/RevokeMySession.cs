using EnvForge.Api.Infrastructure;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Domain.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Sessions;

/// <summary>
/// Its owner ends a session: their current one is a sign-out, another one (a lost laptop) a revocation. Someone else's
/// session answers 404, as a missing one does.
/// </summary>
internal static class RevokeMySessionHandler
{
    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(
        Guid sessionId, HttpContext http, StreamCommands commands, RevokedSessions revoked, TimeProvider time)
    {
        var subject = http.User.Subject();
        var current = http.User.SessionId();
        var reason = current == sessionId ? SessionEndReason.SignedOut : SessionEndReason.RevokedByOwner;
        var result = await commands.ExecuteAsync(http, SessionDecider.Decider, sessionId,
            _ => new RevokeSession(sessionId, reason, subject, time.GetUtcNow()),
            authorize: state => state?.Subject == subject ? null : SessionRejections.NotFound);
        if (result.Problem is { } refused)
        {
            return refused;
        }

        revoked.Add(sessionId, result.State.RevokedAt!.Value);
        return TypedResults.Ok(SessionResponse.From(result.State, current));
    }
}
