using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using Marten;

namespace EnvForge.Api.DevLinks;

/// <summary>
/// Rotate, change surfaces, change audience, revoke: authorize in the org (a non-member gets 404), then the one command path
/// on the link's stream; a link of another org answers exactly like a missing one.
/// </summary>
internal static class LinkCommand
{
    public static async Task<CommandResult<DevLink>> ExecuteAsync(
        Guid orgId, Guid linkId, HttpContext http, IQuerySession session, StreamCommands commands, Func<DevLink, Role, string, IDevLinkCommand> command)
    {
        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ViewOrganization, http.RequestAborted);
        if (denied is not null)
        {
            return CommandResult<DevLink>.Refused(denied);
        }

        return await commands.ExecuteAsync(http, DevLinkDecider.Decider, linkId, link => command(link!, role!.Value, subject),
            authorize: link => link is null || link.OrgId != orgId ? Problems.NotVisible("dev_link") : null);
    }
}
