using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Sessions;

/// <summary>
/// Sessions: each sign-in (CLI or browser) with who, which client, when and from where. Their owner lists and revokes
/// them; an org's Owners and Admins do the same for the org's members. A revoked session refreshes no more at once, and
/// its access tokens are refused through the API's revocation list.
/// </summary>
public sealed class SessionEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/").RequireAuthorization().WithTags("Sessions").WithCommonProblems();
        me.MapGet("/me", WhoAmIHandler.Handle).WithSummary("Who the token says you are, and the session it belongs to.");
        me.MapGet("/sessions", ListMySessionsHandler.HandleAsync).WithSummary("Your sessions, most recently used first (?all=true adds revoked ones).");
        me.MapPost("/sessions/{sessionId:guid}/revoke", RevokeMySessionHandler.HandleAsync).WithCommandProblems()
            .WithSummary("Revoke one of your sessions (your current one: sign out). Refresh stops at once, its access tokens within a second.");

        var org = app.MapGroup("/orgs/{orgId:guid}/sessions").RequireAuthorization().WithTags("Sessions").WithCommonProblems();
        org.MapGet("/", ListOrgSessionsHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The sessions of the org's members, optionally one member's (Owner/Admin).");
        org.MapPost("/{sessionId:guid}/revoke", RevokeMemberSessionHandler.HandleAsync).WithCommandProblems()
            .WithSummary("Revoke a member's session (Owner/Admin; an Owner's sessions: Owners only).");
    }
}
