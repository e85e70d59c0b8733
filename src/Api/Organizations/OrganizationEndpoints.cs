using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Organizations;

/// <summary>Organizations, members and roles, and the org's AWS connection: the route group. One file per use case.</summary>
public sealed class OrganizationEndpoints : IApiCapability
{
    public void AddServices(WebApplicationBuilder builder) =>
        builder.Services.AddOptions<PlatformAwsOptions>().Bind(builder.Configuration.GetSection("Aws"));

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var orgs = app.MapGroup("/orgs").RequireAuthorization().WithTags("Organizations").WithCommonProblems();
        orgs.MapPost("/", RegisterOrganizationHandler.HandleAsync).Accepts<RegisterOrganizationRequest>("application/json")
            .WithSummary("Register an organization; the caller becomes its first Owner.");
        orgs.MapGet("/", ListMyOrganizationsHandler.HandleAsync).WithSummary("The organizations the caller belongs to, with their role.");
        orgs.MapGet("/{orgId:guid}", GetOrganizationHandler.HandleAsync).WithSummary("One organization (members only).");

        var members = orgs.MapGroup("/{orgId:guid}/members");
        members.MapGet("/", ListMembersHandler.HandleAsync)
            .WithSummary("Members, filtered by role or id/name prefix, cursor-paginated (Owner, Admin, Support, Auditor).");
        members.MapGet("/{userId}", GetMemberHandler.HandleAsync).WithSummary("One member (Owner, Admin, Support, Auditor).");
        members.MapPost("/", AddMemberHandler.HandleAsync).Accepts<AddMemberRequest>("application/json").WithCommandProblems()
            .WithSummary("Add a member with a role (Owner/Admin; only Owners grant Owner).");
        members.MapPut("/{userId}/role", ChangeMemberRoleHandler.HandleAsync).Accepts<ChangeRoleRequest>("application/json").WithCommandProblems()
            .WithSummary("Change a member's role; honours If-Match.");
        members.MapDelete("/{userId}", RemoveMemberHandler.HandleAsync).WithCommandProblems()
            .WithSummary("Remove a member; the last Owner cannot be removed.");

        var aws = app.MapGroup("/orgs/{orgId:guid}/aws").RequireAuthorization().WithTags("AWS connection").WithCommonProblems();
        aws.MapGet("/setup", GetAwsSetupHandler.HandleAsync)
            .WithSummary("The trust and permissions policies to create the customer's role (Owner/Admin).");
        aws.MapPut("/", ConnectAwsHandler.HandleAsync).Accepts<ConnectAwsRequest>("application/json").WithCommandProblems()
            .WithSummary("Connect AWS with a role ARN; stored AES-256-GCM encrypted (Owner/Admin).");
        aws.MapDelete("/", DisconnectAwsHandler.HandleAsync).WithCommandProblems()
            .WithSummary("Disconnect AWS: nothing can assume the role afterwards (Owner/Admin).");
    }
}
