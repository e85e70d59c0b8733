using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure;

/// <summary>
/// EnvForge-owned authorization. Membership and role in the target org are checked on every request; a caller who
/// is not a member sees 404, exactly as if the org did not exist. A member whose role lacks the permission gets 403.
/// </summary>
public static class OrgAccess
{
    /// <summary>For commands on the org stream: the aggregate already holds the members.</summary>
    public static ProblemHttpResult? Check(Organization? org, string subject, Permission permission) =>
        org?.RoleOf(subject) switch
        {
            null => Problems.NotFound(),
            var role when !role.Value.Can(permission) => Problems.Forbidden($"Your role ({role}) does not include the {permission} permission."),
            _ => null,
        };

    /// <summary>For reads: one indexed document load from the inline member directory.</summary>
    public static async Task<(Role? Role, ProblemHttpResult? Denied)> CheckAsync(
        IQuerySession session, Guid orgId, string subject, Permission permission, CancellationToken ct)
    {
        var member = await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, subject), ct);
        return member switch
        {
            null => (null, Problems.NotFound()),
            _ when !member.Role.Can(permission) => (member.Role, Problems.Forbidden($"Your role ({member.Role}) does not include the {permission} permission.")),
            _ => (member.Role, null),
        };
    }
}
