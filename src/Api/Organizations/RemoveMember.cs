using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

/// <summary>Removes a member (Owner/Admin; removing an Owner is an Owner's call); the last Owner cannot be removed.</summary>
internal static class RemoveMemberHandler
{
    public static async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(Guid orgId, string userId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var subject = http.User.Subject();
        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManageMembers, userId,
            (_, memberships) => new RemoveMember(orgId, userId, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused ? refused : TypedResults.NoContent();
    }
}
