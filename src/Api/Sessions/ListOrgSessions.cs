using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using EnvForge.Projections.Sessions;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Sessions;

/// <summary>An org's Owners and Admins see their members' sessions (not what those people do in other orgs: sessions carry no org activity).</summary>
internal static class ListOrgSessionsHandler
{
    public const int MaxMembers = 1000;

    public static async Task<Results<Ok<IReadOnlyList<SessionResponse>>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, string? userId, bool? all)
    {
        var ct = http.RequestAborted;
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ManageMembers, ct);
        if (denied is not null)
        {
            return denied;
        }

        IReadOnlyCollection<string> subjects;
        if (userId is { Length: > 0 })
        {
            if (await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, userId), ct) is null)
            {
                return Problems.NotFound("member");
            }

            subjects = [userId];
        }
        else
        {
            subjects = await session.Query<MemberView>().Where(m => m.OrgId == orgId).Select(m => m.UserId).Take(MaxMembers).ToListAsync(ct);
        }

        var sessions = await SessionDirectory.OfAnyAsync(session, subjects, all ?? false, ct);
        var current = http.User.SessionId();
        return TypedResults.Ok<IReadOnlyList<SessionResponse>>([.. sessions.Select(s => SessionResponse.From(s, current))]);
    }
}
