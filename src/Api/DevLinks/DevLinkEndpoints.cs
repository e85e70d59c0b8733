using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.DevLinks;

/// <summary>Dev links: the org's link policy, and links from issue to revoke or expiry. The route group (the gateway serves the links).</summary>
public sealed class DevLinkEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization().WithTags("Dev links").WithCommonProblems();
        org.MapGet("/dev-link-policy", GetDevLinkPolicyHandler.HandleAsync).WithSummary("The org's dev-link expiry default and maximum (members).");
        org.MapPut("/dev-link-policy", SetDevLinkPolicyHandler.HandleAsync).Accepts<DevLinkPolicyRequest>("application/json").WithCommandProblems()
            .WithSummary("Set the dev-link expiry default and maximum (Owner/Admin). Honours If-Match.");
        org.MapPost("/workspaces/{workspaceId:guid}/dev-links", IssueDevLinkHandler.HandleAsync).Accepts<IssueDevLinkRequest>("application/json")
            .WithWorkflowProblems()
            .WithSummary("Issue a signed link to one service's surfaces (Developer+). The token is in the answer's url, once.");

        var links = org.MapGroup("/dev-links");
        links.MapGet("/", ListDevLinksHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("The org's dev links, newest first, optionally for one workspace (never tokens).");
        links.MapGet("/{linkId:guid}", GetDevLinkHandler.HandleAsync).ProducesProblem(StatusCodes.Status403Forbidden).WithSummary("One dev link (never its token).");
        links.MapPost("/{linkId:guid}/rotate", RotateDevLinkHandler.HandleAsync).WithCommandProblems()
            .WithSummary("A new token; the old one and its sessions stop at once (issuer, Admin, Owner).");
        links.MapPut("/{linkId:guid}/surfaces", ChangeDevLinkSurfacesHandler.HandleAsync).Accepts<SurfacesRequest>("application/json").WithCommandProblems()
            .WithSummary("Change the allowed surfaces (issuer, Admin, Owner).");
        links.MapPut("/{linkId:guid}/audience", ChangeDevLinkAudienceHandler.HandleAsync).Accepts<AudienceRequest>("application/json").WithCommandProblems()
            .WithSummary("Share the link with named members and roles only, or (naming nobody) with anyone who has it (issuer, Admin, Owner).");
        links.MapPost("/{linkId:guid}/revoke", RevokeDevLinkHandler.HandleAsync).Accepts<RevokeDevLinkRequest>("application/json").WithCommandProblems()
            .WithSummary("Revoke: the gateway refuses the link within a second (issuer, Admin, Owner).");

        app.MapPost("/dev-links/open", OpenDevLinkHandler.HandleAsync).Accepts<OpenDevLinkRequest>("application/json").RequireAuthorization()
            .WithTags("Dev links").WithCommonProblems().WithCommandProblems()
            .WithSummary("Signed in, exchange a link's token for a one-use URL that opens it (required for a link with an audience).");
    }
}
