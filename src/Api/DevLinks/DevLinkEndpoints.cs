using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Api.Organizations;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Hosting;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.DevLinks;

public static partial class DevLinkEndpoints
{
    public static IEndpointRouteBuilder MapDevLinkEndpoints(this IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/orgs/{orgId:guid}").RequireAuthorization().WithTags("Dev links");
        org.MapGet("/dev-link-policy", GetPolicyAsync).WithSummary("The org's dev-link expiry default and maximum (members).");
        org.MapPut("/dev-link-policy", SetPolicyAsync).WithSummary("Set the dev-link expiry default and maximum (Owner/Admin). Honours If-Match.");
        org.MapPost("/workspaces/{workspaceId:guid}/dev-links", IssueAsync)
            .WithSummary("Issue a signed link to one service's surfaces (Developer+). The token is in the answer's url, once.");

        var links = org.MapGroup("/dev-links");
        links.MapGet("/", ListAsync).WithSummary("The org's dev links, newest first, optionally for one workspace (never tokens).");
        links.MapGet("/{linkId:guid}", GetAsync).WithSummary("One dev link (never its token).");
        links.MapPost("/{linkId:guid}/rotate", RotateAsync).WithSummary("A new token; the old one and its sessions stop at once (issuer, Admin, Owner).");
        links.MapPut("/{linkId:guid}/surfaces", ChangeSurfacesAsync).WithSummary("Change the allowed surfaces (issuer, Admin, Owner).");
        links.MapPut("/{linkId:guid}/audience", ChangeAudienceAsync)
            .WithSummary("Share the link with named members and roles only, or (naming nobody) with anyone who has it (issuer, Admin, Owner).");
        links.MapPost("/{linkId:guid}/revoke", RevokeAsync).WithSummary("Revoke: the gateway refuses the link within a second (issuer, Admin, Owner).");

        app.MapPost("/dev-links/open", OpenAsync).RequireAuthorization().WithTags("Dev links")
            .WithSummary("Signed in, exchange a link's token for a one-use URL that opens it (required for a link with an audience).");
        return app;
    }

    private static async Task<IResult> GetPolicyAsync(Guid orgId, HttpContext http, IQuerySession session)
    {
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        return OrgAccess.Check(org, http.User.Subject(), Permission.ViewOrganization) is { } denied
            ? denied
            : TypedResults.Ok(DevLinkPolicyResponse.From(org!.DevLinkPolicy));
    }

    private static async Task<IResult> SetPolicyAsync(Guid orgId, HttpContext http, IDocumentSession session, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<DevLinkPolicyRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var policy = new DevLinkPolicy(TimeSpan.FromMinutes(body!.DefaultExpiryMinutes!.Value), TimeSpan.FromMinutes(body.MaximumExpiryMinutes!.Value));
        return await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManagePolicy,
            _ => new SetDevLinkPolicy(orgId, policy, http.User.Subject(), time.GetUtcNow()),
            (org, _, _) => TypedResults.Ok(DevLinkPolicyResponse.From(org.DevLinkPolicy)));
    }

    /// <summary>authorize -> validate -> decide -> (Temporal?) -> start the expiry timer -> append. Nothing is stored in clear.</summary>
    private static async Task<IResult> IssueAsync(
        Guid orgId, Guid workspaceId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, DevLinkSigner signer,
        IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var org = await session.LoadAsync<Organization>(orgId, ct);
        if (OrgAccess.Check(org, subject, Permission.UseWorkspaces) is { } denied)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<IssueDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var workspace = await session.LoadAsync<Workspace>(workspaceId, ct);
        var now = time.GetUtcNow();
        var linkId = Guid.CreateVersion7(now);
        var (token, hash) = signer.IssueToken(linkId, generation: 1);
        var command = new IssueDevLink(
            linkId, orgId, workspaceId, body!.Service!, WorkspaceInOrg: workspace is not null && workspace.OrgId == orgId && workspace.IsLive,
            ServiceDeclared: workspace?.Services.Any(s => s.Name == body.Service) ?? false, org!.RoleOf(subject), org.DevLinkPolicy,
            body.ExpiresInMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, DevLinkSurfaces.Parse(body.Surfaces!),
            signer.CurrentKeyId, hash, subject, now)
        {
            Audience = body.Audience?.ToAudience(),
            Members = org.Members.Keys.ToHashSet(StringComparer.Ordinal),
        };
        var decision = DevLinkDecider.Decide(command, null);
        if (decision.Rejection is { } rejection)
        {
            return Problems.From(rejection);
        }

        if (workflows.TryGetUnavailableReason() is { } unavailable)
        {
            return Problems.WorkflowsUnavailable(unavailable);
        }

        // The timer first: a link on the stream always has its expiry recorded in time (the gateway enforces it regardless).
        var issued = (DevLinkIssued)decision.Events[0];
        await workflows.StartDevLinkExpiryAsync(new DevLinkExpiryInput(linkId, issued.ExpiresAt.UtcDateTime), ct);
        session.Events.StartStream<DevLink>(linkId, decision.Events);
        await session.SaveChangesAsync(ct);

        var link = DevLink.Evolve(null, issued)!;
        ETags.Set(http.Response, 1);
        return TypedResults.Created($"/orgs/{orgId}/dev-links/{linkId}",
            new IssuedDevLinkResponse(DevLinkResponse.From(link, now, gateway.Value), gateway.Value.OpenUrl(linkId, token)));
    }

    private static async Task<IResult> ListAsync(
        Guid orgId, HttpContext http, IQuerySession session, IOptions<GatewayOptions> gateway, TimeProvider time, Guid? workspaceId, string? cursor, int? limit)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var errors = new Dictionary<string, string[]>();
        if (!Paging.TryRead(cursor, limit, errors, out Guid? before, out var take))
        {
            return Problems.Validation(errors);
        }

        var query = session.Query<DevLink>().Where(l => l.OrgId == orgId);
        if (workspaceId is { } ws)
        {
            query = query.Where(l => l.WorkspaceId == ws);
        }

        if (before is { } beforeId)
        {
            query = query.Where(l => l.MatchesSql("d.id < ?", beforeId));
        }

        var rows = await query.OrderByDescending(l => l.Id).Take(take + 1).ToListAsync(http.RequestAborted);
        var now = time.GetUtcNow();
        var items = rows.Take(take).Select(l => DevLinkResponse.From(l, now, gateway.Value)).ToList();
        return TypedResults.Ok(new DevLinkPage(items, rows.Count > take ? Cursor.Encode(rows[take - 1].Id.ToString()) : null));
    }

    private static async Task<IResult> GetAsync(Guid orgId, Guid linkId, HttpContext http, IQuerySession session, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.ViewWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        var link = await session.LoadAsync<DevLink>(linkId, http.RequestAborted);
        return link is null || link.OrgId != orgId
            ? Problems.NotFound("dev_link")
            : TypedResults.Ok(DevLinkResponse.From(link, time.GetUtcNow(), gateway.Value));
    }

    private static async Task<IResult> RotateAsync(
        Guid orgId, Guid linkId, HttpContext http, IDocumentSession session, DevLinkSigner signer, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        string? token = null;
        return await ExecuteAsync(http, session, orgId, linkId, gateway.Value, time,
            (link, role, subject) =>
            {
                var (fresh, hash) = signer.IssueToken(linkId, link.Generation + 1);
                token = fresh;
                return new RotateDevLink(linkId, orgId, role, signer.CurrentKeyId, hash, subject, time.GetUtcNow());
            },
            response => token is null ? response : new IssuedDevLinkResponse(response, gateway.Value.OpenUrl(linkId, token)));
    }

    private static async Task<IResult> ChangeSurfacesAsync(
        Guid orgId, Guid linkId, HttpContext http, IDocumentSession session, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<SurfacesRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await ExecuteAsync(http, session, orgId, linkId, gateway.Value, time,
            (_, role, subject) => new ChangeDevLinkSurfaces(linkId, orgId, role, DevLinkSurfaces.Parse(body!.Surfaces!), subject, time.GetUtcNow()),
            response => response);
    }

    private static async Task<IResult> ChangeAudienceAsync(
        Guid orgId, Guid linkId, HttpContext http, IDocumentSession session, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<AudienceRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        // Named users must be members now. ExecuteAsync still answers a non-member 404 before anything is decided.
        var org = await session.LoadAsync<Organization>(orgId, http.RequestAborted);
        var members = org?.Members.Keys.ToHashSet(StringComparer.Ordinal) ?? [];
        return await ExecuteAsync(http, session, orgId, linkId, gateway.Value, time,
            (_, role, subject) => new ChangeDevLinkAudience(linkId, orgId, role, body!.ToAudience(), members, subject, time.GetUtcNow()),
            response => response);
    }

    /// <summary>
    /// The signed-in way in: the caller shows the link's token; if it is the link's current token, the link is usable and
    /// the caller is a member allowed by its audience (any member, for a link without one), they get a one-use ticket URL.
    /// A token that does not check out and a caller outside the link's org get the same 404.
    /// </summary>
    private static async Task<IResult> OpenAsync(HttpContext http, IQuerySession session, DevLinkSigner signer, IOptions<GatewayOptions> gateway, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<OpenDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var ct = http.RequestAborted;
        var token = body!.Token!;
        if (!signer.TryReadToken(token, out var signed))
        {
            return Problems.NotFound("dev_link");
        }

        var link = await session.LoadAsync<DevLink>(signed.LinkId, ct);
        if (link is null || signed.Generation != link.Generation
            || !DevLinkSigner.HashMatches(token, Convert.FromHexString(link.TokenHash)))
        {
            return Problems.NotFound("dev_link");
        }

        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, link.OrgId, subject, Permission.ViewOrganization, ct);
        if (denied is not null)
        {
            return Problems.NotFound("dev_link");
        }

        var now = time.GetUtcNow();
        if (!link.IsUsable(now))
        {
            return Problems.From(DevLinkRejections.Ended);
        }

        if (link.Audience is { } audience && !audience.Allows(subject, role))
        {
            return Problems.From(DevLinkRejections.NotSharedWithYou);
        }

        // Whole seconds: what the ticket carries, so the answer's expiresAt is exactly when the gateway stops taking it.
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds((now + gateway.Value.TicketLifetime).ToUnixTimeSeconds());
        var ticket = signer.IssueTicket(link.Id, link.Generation, subject, expiresAt);
        return TypedResults.Ok(new OpenDevLinkResponse(link.Id, gateway.Value.TicketUrl(link.Id, ticket), expiresAt));
    }

    private static async Task<IResult> RevokeAsync(
        Guid orgId, Guid linkId, HttpContext http, IDocumentSession session, IWorkflowLauncher workflows, IOptions<GatewayOptions> gateway,
        TimeProvider time, ILogger<RevokeDevLinkRequest> logger)
    {
        // The reason is optional, and so is the body that carries it.
        var (body, problem) = http.Request.ContentLength is 0 || (http.Request.ContentLength is null && !http.Request.Headers.ContainsKey("Transfer-Encoding"))
            ? (new RevokeDevLinkRequest(null), null)
            : await RequestBody.ReadAsync<RevokeDevLinkRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var result = await ExecuteAsync(http, session, orgId, linkId, gateway.Value, time,
            (_, role, subject) => new RevokeDevLink(linkId, orgId, role, body!.Reason, subject, time.GetUtcNow()),
            response => response);

        // The revoke is recorded and the gateway enforces it; ending the expiry timer early is housekeeping.
        if (result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK } && workflows.TryGetUnavailableReason() is null)
        {
            try
            {
                await workflows.SignalDevLinkRevokedAsync(linkId, http.RequestAborted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSignalFailed(logger, linkId, ex.GetType().Name);
            }
        }

        return result;
    }

    /// <summary>authorize (non-member: 404) -> load -> If-Match -> decide -> append at the version read.</summary>
    private static async Task<IResult> ExecuteAsync(
        HttpContext http, IDocumentSession session, Guid orgId, Guid linkId, GatewayOptions gateway, TimeProvider time,
        Func<DevLink, Role, string, IDevLinkCommand> command, Func<DevLinkResponse, object> respond)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (role, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ViewOrganization, ct);
        if (denied is not null)
        {
            return denied;
        }

        if (!ETags.TryReadIfMatch(http.Request, out var expected, out var badIfMatch))
        {
            return badIfMatch!;
        }

        var stream = await session.Events.FetchForWriting<DevLink>(linkId, ct);
        if (stream.Aggregate is not { } link || link.OrgId != orgId)
        {
            return Problems.NotFound("dev_link");
        }

        var current = stream.CurrentVersion ?? 0;
        if (expected is { } version && version != current)
        {
            return Problems.PreconditionFailed(current);
        }

        var decision = DevLinkDecider.Decide(command(link, role!.Value, subject), link);
        if (decision.Rejection is { } rejection)
        {
            return Problems.From(rejection);
        }

        if (decision.Events.Count > 0)
        {
            stream.AppendMany(decision.Events);
            try
            {
                await session.SaveChangesAsync(ct);
            }
            catch (Exception ex) when (Concurrency.IsConflict(ex))
            {
                return expected is null ? Problems.Concurrency() : Problems.PreconditionFailed(current);
            }

            link = decision.Events.Cast<IDevLinkEvent>().Aggregate(link, (l, e) => DevLink.Evolve(l, e)!);
        }

        ETags.Set(http.Response, current + decision.Events.Count);
        return TypedResults.Ok(respond(DevLinkResponse.From(link, time.GetUtcNow(), gateway)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dev link {LinkId} revoked, but its expiry workflow could not be signalled ({Error})")]
    private static partial void LogSignalFailed(ILogger logger, Guid linkId, string error);
}
