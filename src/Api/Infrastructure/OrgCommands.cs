using EnvForge.Domain.Organizations;
using EnvForge.Projections.Organizations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Infrastructure;

/// <summary>What an org command did, and the memberships it was decided on (the actor's, and the member's it touched).</summary>
public sealed record OrgCommandResult(CommandResult<Organization> Result, Memberships Read)
{
    public ProblemHttpResult? Problem => Result.Problem;

    public Organization State => Result.State;
}

/// <summary>
/// The command path of the Organization stream, for every capability that writes to it (members, AWS, policies): the
/// caller is authorized in the org by one keyed read (a non-member: 404 before anything else, If-Match included; a role
/// without the permission: 403), then <see cref="StreamCommands"/> runs the command, built with the memberships it touches
/// read by key after the stream's version (the decider checks them again, covered by the append's version check).
/// </summary>
public static class OrgCommands
{
    /// <param name="member">The member the command is about (add, re-role, remove), or null.</param>
    public static async Task<OrgCommandResult> ExecuteOnOrgAsync(
        this StreamCommands commands, HttpContext http, Guid orgId, Permission permission, string? member,
        Func<Organization?, Memberships, IOrganizationCommand> command)
    {
        var subject = http.User.Subject();
        await using (var session = commands.Store.QuerySession())
        {
            var (_, denied) = await OrgAccess.CheckAsync(session, orgId, subject, permission, http.RequestAborted);
            if (denied is not null)
            {
                return new(CommandResult<Organization>.Refused(denied), Memberships.None);
            }
        }

        var read = Memberships.None;
        var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId, async (org, session, ct) =>
        {
            read = await MemberDirectory.MembershipsAsync(session, orgId, subject, member, ct);
            return command(org, read);
        });
        return new(result, read);
    }
}
