using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Audit;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

public sealed record MaskingResponse(string UserId, int EventsMasked);

/// <summary>
/// Masks a departed member's personal fields in the events and the trail (Owner/Admin), keeping every chain verifiable
/// (see <see cref="AuditMasking"/>). A current member is 409; someone never recorded in the org is 404.
/// </summary>
internal static class MaskPersonalDataHandler
{
    public static async Task<Results<Ok<MaskingResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, string userId, HttpContext http, IQuerySession session, IDocumentStore store, TimeProvider time)
    {
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ManageMembers, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        if (userId.Length > QueryAuditTrailHandler.MaxFilterLength)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["userId"] = [$"At most {QueryAuditTrailHandler.MaxFilterLength} characters."] });
        }

        var context = StreamCommands.ContextOf(http) with { ActorRole = role?.ToString() };
        var (status, events) = await AuditMasking.MaskAsync(store, orgId, userId, context, time.GetUtcNow(), http.RequestAborted);
        return status switch
        {
            MaskingStatus.Masked => TypedResults.Ok(new MaskingResponse(userId, events)),
            MaskingStatus.StillMember => Problems.Problem(StatusCodes.Status409Conflict, "audit.member_still_present", "Conflict",
                "Only a former member's personal fields are masked; remove the member first."),
            MaskingStatus.TrailBehind => Problems.Problem(StatusCodes.Status409Conflict, "audit.trail_behind", "Conflict",
                "The audit trail has not recorded the member's removal yet; try again in a moment."),
            _ => Problems.NotFound("member"),
        };
    }
}
