using EnvForge.Api.Infrastructure;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Sessions;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Sessions;

/// <summary>
/// An Owner or Admin ends a member's session (an Owner's only if they are an Owner too). A session of someone who is not
/// a member of the org answers 404, as a missing one does.
/// </summary>
internal static class RevokeMemberSessionHandler
{
    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, Guid sessionId, HttpContext http, IQuerySession query, StreamCommands commands, RevokedSessions revoked, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var actor = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(query, orgId, actor, Permission.ManageMembers, ct);
        if (denied is not null)
        {
            return denied;
        }

        var target = await query.LoadAsync<Session>(sessionId, ct);
        var member = target is null ? null : await query.LoadAsync<MemberView>(MemberView.KeyOf(orgId, target.Subject), ct);
        if (member is null)
        {
            return Problems.From(SessionRejections.NotFound);
        }

        if (member.Role == Role.Owner && !role!.Value.Can(Permission.ManageOwners))
        {
            return Problems.From(OrgAccess.Forbidden(role.Value, Permission.ManageOwners));
        }

        var result = await commands.ExecuteAsync(http, SessionDecider.Decider, sessionId,
            _ => new RevokeSession(sessionId, SessionEndReason.RevokedByAdmin, actor, time.GetUtcNow()),
            authorize: state => state?.Subject == member.UserId ? null : SessionRejections.NotFound);
        if (result.Problem is { } refused)
        {
            return refused;
        }

        revoked.Add(sessionId, result.State.RevokedAt!.Value);
        return TypedResults.Ok(SessionResponse.From(result.State, http.User.SessionId()));
    }
}
