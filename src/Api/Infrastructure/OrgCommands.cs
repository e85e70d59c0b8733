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
/// stream and the memberships the command touches (the caller's, and the member's it is about) are read in one round
/// trip, the memberships by key after the stream's version, so the append's version check covers them; the caller is
/// authorized on their membership first (a non-member: 404 before anything else, If-Match included; a role without the
/// permission: 403); then <see cref="StreamCommands"/> decides and appends as for every stream.
/// </summary>
public static class OrgCommands
{
    /// <param name="member">The member the command is about (add, re-role, remove), or null.</param>
    public static async Task<OrgCommandResult> ExecuteOnOrgAsync(
        this StreamCommands commands, HttpContext http, Guid orgId, Permission permission, string? member,
        Func<Organization?, Memberships, IOrganizationCommand> command)
    {
        var subject = http.User.Subject();
        var read = Memberships.None;
        var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId,
            batch => MemberDirectory.MembershipsAsync(batch, orgId, subject, member),
            (org, memberships) => command(org, read = memberships),
            authorize: (_, memberships) => OrgAccess.Refusal(memberships.Actor, permission),
            actorRole: memberships => memberships.Actor?.Role.ToString());
        return new(result, read);
    }
}
