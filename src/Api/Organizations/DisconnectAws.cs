using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

/// <summary>Disconnects AWS (Owner/Admin): from then on no activity can assume the org's role.</summary>
internal static class DisconnectAwsHandler
{
    public static async Task<Results<Ok<AwsConnectionResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var subject = http.User.Subject();
        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManagePolicy, member: null,
            (_, memberships) => new DisconnectAws(orgId, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused ? refused : TypedResults.Ok(new AwsConnectionResponse(false, null, result.State.ExternalId));
    }
}
