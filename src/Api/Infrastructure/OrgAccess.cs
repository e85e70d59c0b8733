using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure;

/// <summary>
/// EnvForge-owned authorization. Membership and role in the target org are checked on every request, by one keyed read of
/// the caller's <see cref="MemberView"/> (never a list of members); a caller who is not a member sees 404, exactly as if
/// the org did not exist. A member whose role lacks the permission gets 403.
/// </summary>
public static class OrgAccess
{
    /// <summary>"Does not exist" and "exists but you are not a member" are one answer: nothing leaks across orgs.</summary>
    public static readonly Rejection NotVisible = Problems.NotVisible("organization");

    public static Rejection Forbidden(Role role, Permission permission) =>
        new("forbidden", $"Your role ({role}) does not include the {permission} permission.", RejectionKind.Forbidden);

    /// <summary>The check on a membership already read (null: not a member), as a rejection.</summary>
    public static Rejection? Refusal(Membership? member, Permission permission) => member switch
    {
        null => NotVisible,
        _ when !member.Role.Can(permission) => Forbidden(member.Role, permission),
        _ => null,
    };

    /// <summary>For reads and as a command's first step: one indexed document load from the inline member directory.</summary>
    public static async Task<(Role? Role, ProblemHttpResult? Denied)> CheckAsync(
        IQuerySession session, Guid orgId, string subject, Permission permission, CancellationToken ct)
    {
        var member = await session.LoadAsync<MemberView>(MemberView.KeyOf(orgId, subject), ct);
        return (member?.Role, Refusal(member?.Membership, permission) is { } refused ? Problems.From(refused) : null);
    }

    /// <summary>The check and the org's state (its policies, settings and counts) in one round trip; the org only when allowed.</summary>
    public static async Task<(Organization? Org, Role? Role, ProblemHttpResult? Denied)> LoadAsync(
        IQuerySession session, Guid orgId, string subject, Permission permission, CancellationToken ct)
    {
        var batch = session.CreateBatchQuery();
        var member = batch.Load<MemberView>(MemberView.KeyOf(orgId, subject));
        var org = batch.Load<Organization>(orgId);
        await batch.Execute(ct);
        var membership = (await member)?.Membership;
        if (Refusal(membership, permission) is { } refused)
        {
            return (null, null, Problems.From(refused));
        }

        return await org is { } found ? (found, membership!.Role, null) : (null, null, Problems.From(NotVisible));
    }
}
