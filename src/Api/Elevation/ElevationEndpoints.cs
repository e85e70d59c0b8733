using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Elevation;
using EnvForge.Workflows.Hosting;
using Marten;

namespace EnvForge.Api.Elevation;

public static class ElevationEndpoints
{
    public static IEndpointRouteBuilder MapElevationEndpoints(this IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization().WithTags("Root elevation");
        org.MapGet("/root-policy", RootPolicyHandlers.GetAsync).WithSummary("The org's root policy (members).");
        org.MapPut("/root-policy", RootPolicyHandlers.SetAsync)
            .WithSummary("Set the root policy (Owner/Admin); switching it to Disabled closes out every open grant. Honours If-Match.");

        org.MapPost("/workspaces/{workspaceId:guid}/elevations", ElevationCommandHandlers.RequestAsync)
            .WithSummary("Request root on one workspace: reason, mode, window (Developer, Admin, Owner). Starts the grant's workflow.");

        var elevations = org.MapGroup("/elevations");
        elevations.MapGet("/", ListAsync)
            .WithSummary("Elevation history, newest first, filtered by workspaceId, requester, approver, status; cursor-paginated.");
        elevations.MapGet("/pending", ListPendingAsync).WithSummary("Requests waiting for a decision, oldest first: what an approver sees.");
        elevations.MapGet("/{grantId:guid}", GetAsync).WithSummary("One grant, with its workflow's progress when Temporal answers.");
        elevations.MapPost("/{grantId:guid}/approve", ElevationCommandHandlers.ApproveAsync)
            .WithSummary("Approve (Admin/Owner, never the requester); may shorten the window. Signals the workflow.");
        elevations.MapPost("/{grantId:guid}/deny", ElevationCommandHandlers.DenyAsync).WithSummary("Deny with a reason (Admin/Owner, never the requester).");
        elevations.MapPost("/{grantId:guid}/revoke", ElevationCommandHandlers.RevokeAsync)
            .WithSummary("Revoke, pending or active (the requester, Admin or Owner): an active grant is closed out at once.");
        return app;
    }

    /// <summary>Grants are read by those who see workspaces (support included) and by auditors.</summary>
    internal static async Task<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> CheckReadAsync(HttpContext http, IQuerySession session, Guid orgId)
    {
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewOrganization, http.RequestAborted);
        return denied ?? (role!.Value.Can(Permission.ViewWorkspaces) || role.Value.Can(Permission.ReadAudit)
            ? null
            : Problems.Forbidden($"Your role ({role}) can see neither workspaces nor the audit trail."));
    }

    private static async Task<IResult> GetAsync(Guid orgId, Guid grantId, HttpContext http, IQuerySession session, IWorkflowLauncher workflows)
    {
        if (await CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var record = await session.LoadAsync<ElevationRecord>(grantId, http.RequestAborted);
        if (record is null || record.OrgId != orgId)
        {
            return Problems.NotFound("elevation");
        }

        var progress = await workflows.QueryElevationAsync(grantId, http.RequestAborted);
        var version = (await session.Events.FetchStreamStateAsync(grantId, http.RequestAborted))?.Version ?? 0;
        ETags.Set(http.Response, version);
        return TypedResults.Ok(ElevationResponse.From(record, progress));
    }

    private static async Task<IResult> ListPendingAsync(Guid orgId, HttpContext http, IQuerySession session, string? cursor, int? limit)
    {
        if (await CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(cursor, limit, errors, out Guid? after, out var take))
        {
            return Problems.Validation(errors);
        }

        var page = await ElevationRecords.PendingAsync(session, orgId, after, take, http.RequestAborted);
        return TypedResults.Ok(new ElevationPage([.. page.Items.Select(r => ElevationResponse.From(r))], page.NextCursor));
    }

    private static async Task<IResult> ListAsync(
        Guid orgId, HttpContext http, IQuerySession session, Guid? workspaceId, string? requester, string? approver, string? status, string? cursor, int? limit)
    {
        if (await CheckReadAsync(http, session, orgId) is { } denied)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        ElevationStatus? statusFilter = null;
        if (status is not null)
        {
            if (EnumNames.TryParse<ElevationStatus>(status, ignoreCase: true, out var parsed))
            {
                statusFilter = parsed;
            }
            else
            {
                errors["status"] = [$"Status must be one of: {string.Join(", ", Enum.GetNames<ElevationStatus>())}."];
            }
        }

        foreach (var (name, value) in new[] { ("requester", requester), ("approver", approver) })
        {
            if (value is { Length: > OrganizationRules.MaxUserIdLength })
            {
                errors[name] = [$"At most {OrganizationRules.MaxUserIdLength} characters."];
            }
        }

        if (!Paging.TryRead(cursor, limit, errors, out Guid? before, out var take) || errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var page = await ElevationRecords.HistoryAsync(
            session, orgId, new ElevationHistoryFilter(workspaceId, requester, approver, statusFilter), before, take, http.RequestAborted);
        return TypedResults.Ok(new ElevationPage([.. page.Items.Select(r => ElevationResponse.From(r))], page.NextCursor));
    }
}
