using EnvForge.Domain.Common;
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
    /// <summary>For commands and reads of the org stream: the aggregate already holds the members.</summary>
    public static ProblemHttpResult? Check(Organization? org, string subject, Permission permission) =>
        Refusal(org, subject, permission) is { } refused ? Problems.From(refused) : null;

    /// <summary>The same check as a rejection, for the command path's <c>authorize</c> step (answered exactly as <see cref="Check"/>).</summary>
    public static Rejection? Refusal(Organization? org, string subject, Permission permission) =>
        org?.RoleOf(subject) switch
        {
            null => NotVisible,
            var role when !role.Value.Can(permission) => Forbidden(role.Value, permission),
            _ => null,
        };

    /// <summary>"Does not exist" and "exists but you are not a member" are one answer: nothing leaks across orgs.</summary>
    public static readonly Rejection NotVisible = Problems.NotVisible("organization");

    public static Rejection Forbidden(Role role, Permission permission) =>
        new("forbidden", $"Your role ({role}) does not include the {permission} permission.", RejectionKind.Forbidden);

    /// <summary>For reads: one indexed document load from the inline member directory.</summary>
    public static async Task<(Role? Role, ProblemHttpResult? Denied)> CheckAsync(
        IQuerySession session, Guid orgId, string subject, Permission permission, CancellationToken ct)
    {
        var member = await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, subject), ct);
        return member switch
        {
            null => (null, Problems.From(NotVisible)),
            _ when !member.Role.Can(permission) => (member.Role, Problems.From(Forbidden(member.Role, permission))),
            _ => (member.Role, null),
        };
    }
}
