using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Api.Organizations;

/// <summary>
/// The one command path for an Organization stream: authorize from the aggregate -> check If-Match -> decide ->
/// append at the expected version -> save. Two writers that read the same version never both win: the loser's
/// append fails the version check and is answered 409 (412 when it sent If-Match), with nothing appended.
/// </summary>
internal static class OrganizationStream
{
    public static async Task<IResult> ExecuteAsync(
        HttpContext http,
        IDocumentSession session,
        Guid orgId,
        Permission permission,
        Func<Organization, IOrganizationCommand> command,
        Func<Organization, long, bool, IResult> respond)
    {
        var ct = http.RequestAborted;
        if (!ETags.TryReadIfMatch(http.Request, out var expected, out var badIfMatch))
        {
            return badIfMatch!;
        }

        var subject = http.User.Subject();
        var stream = await session.Events.FetchForWriting<Organization>(orgId, ct);
        if (OrgAccess.Check(stream.Aggregate, subject, permission) is { } denied)
        {
            return denied;
        }

        var org = stream.Aggregate!;
        if (expected is { } version && version != stream.CurrentVersion)
        {
            return Problems.PreconditionFailed(stream.CurrentVersion ?? 0);
        }

        var decision = OrganizationDecider.Decide(command(org), org);
        if (decision.Rejection is { } rejection)
        {
            return Problems.From(rejection);
        }

        var current = stream.CurrentVersion ?? 0;
        if (decision.Events.Count == 0)
        {
            ETags.Set(http.Response, current);
            return respond(org, current, false);
        }

        stream.AppendMany(decision.Events);
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (Concurrency.IsConflict(ex))
        {
            return expected is null ? Problems.Concurrency() : Problems.PreconditionFailed(current);
        }

        var next = current + decision.Events.Count;
        ETags.Set(http.Response, next);
        return respond(Fold(org, decision.Events), next, true);
    }


    private static Organization Fold(Organization org, IEnumerable<IDomainEvent> events) =>
        events.Cast<IOrganizationEvent>().Aggregate(org, (state, e) => Organization.Evolve(state, e)!);
}
