using EnvForge.Domain.Common;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Domain.DevLinks;

/// <summary>
/// Decisions on a DevLink stream. A link is bound for life to one service of one workspace of one org; what may
/// change is its token (rotation), its surfaces, and whether it still works (revoke, expiry). An ended link stays ended.
/// </summary>
public static class DevLinkDecider
{
    /// <summary>The stream's decisions as one value, for the API's and the activities' command paths.</summary>
    public static Decider<IDevLinkCommand, DevLink> Decider { get; } = new(Decide, (state, e) => e is IDevLinkEvent typed ? DevLink.Evolve(state, typed) : state);

    public const int MaxReasonLength = 500;

    public static Decision Decide(IDevLinkCommand command, DevLink? state) => command switch
    {
        IssueDevLink c => Issue(c, state),
        _ when state is null => DevLinkRejections.NotFound,
        RecordDevLinkUse c => RecordUse(c, state),
        RotateDevLink c => MayNotManage(state, c.OrgId, c.ActorRole, c.Actor) ?? Rotate(c, state),
        ChangeDevLinkSurfaces c => MayNotManage(state, c.OrgId, c.ActorRole, c.Actor) ?? ChangeSurfaces(c, state),
        ChangeDevLinkAudience c => MayNotManage(state, c.OrgId, c.ActorRole, c.Actor) ?? ChangeAudience(c, state),
        RevokeDevLink c => MayNotManage(state, c.OrgId, c.ActorRole, c.Actor) ?? Revoke(c, state),
        ExpireDevLink c => Expire(c, state),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown dev link command"),
    };

    /// <summary>Distinct, defined surfaces in a stable order; null when the list is empty or names an unknown one.</summary>
    public static IReadOnlyList<DevLinkSurface>? Normalize(IReadOnlyList<DevLinkSurface> surfaces) =>
        surfaces.Count == 0 || surfaces.Any(s => !Enum.IsDefined(s)) ? null : [.. surfaces.Distinct().Order()];

    private static Decision Issue(IssueDevLink c, DevLink? state)
    {
        if (state is not null)
        {
            return state.Issuer == c.Actor && state.WorkspaceId == c.WorkspaceId ? Decision.None : DevLinkRejections.AlreadyExists;
        }

        var expiry = c.Expiry ?? c.Policy.DefaultExpiry;
        var surfaces = Normalize(c.Surfaces);
        var audience = DevLinkAudience.Normalize(c.Audience?.Users, c.Audience?.Roles);
        Rejection? refused = c.IssuerRole switch
        {
            null => OrganizationRejections.NotFound,
            var r when !r.Value.Can(Permission.UseWorkspaces) => OrganizationRejections.NotAllowed(Permission.UseWorkspaces),
            _ when !c.WorkspaceInOrg => DevLinkRejections.WorkspaceNotFound,
            _ when !c.ServiceDeclared => DevLinkRejections.ServiceNotFound(c.Service),
            _ when c.ServiceKind != ServiceKind.App => DevLinkRejections.ServiceNotLinkable(c.Service, c.ServiceKind),
            _ when surfaces is null => DevLinkRejections.SurfacesRequired,
            _ when expiry < DevLinkPolicy.MinimumExpiry => DevLinkRejections.ExpiryTooShort,
            _ when expiry > c.Policy.MaximumExpiry => DevLinkRejections.ExpiryExceedsPolicy(c.Policy.MaximumExpiry),
            _ when audience?.Validate(c.Members) is { } invalid => invalid,
            _ => null,
        };
        return refused ?? Decision.Accept(new DevLinkIssued(
            c.LinkId, c.OrgId, c.WorkspaceId, c.Service, c.Actor, c.Now + expiry, surfaces!, c.KeyId, c.TokenHash, c.Actor, c.Now, audience));
    }

    private static Decision RecordUse(RecordDevLinkUse c, DevLink state) =>
        state.HasEnded || c.Generation != state.Generation || state.UsedGenerations.Contains(c.Generation)
            ? Decision.None
            : Decision.Accept(new DevLinkFirstUsed(state.Id, state.OrgId, c.Generation, c.Actor, c.Now));

    private static Decision Rotate(RotateDevLink c, DevLink state) => state switch
    {
        { HasEnded: true } => DevLinkRejections.Ended,
        _ when state.TokenHash == c.TokenHash => Decision.None,
        _ => Decision.Accept(new DevLinkRotated(state.Id, state.OrgId, state.Generation + 1, c.KeyId, c.TokenHash, c.Actor, c.Now)),
    };

    private static Decision ChangeSurfaces(ChangeDevLinkSurfaces c, DevLink state) => Normalize(c.Surfaces) switch
    {
        _ when state.HasEnded => DevLinkRejections.Ended,
        null => DevLinkRejections.SurfacesRequired,
        var surfaces when surfaces.SequenceEqual(state.Surfaces) => Decision.None,
        var surfaces => Decision.Accept(new DevLinkSurfacesChanged(state.Id, state.OrgId, surfaces, c.Actor, c.Now)),
    };

    private static Decision ChangeAudience(ChangeDevLinkAudience c, DevLink state) => DevLinkAudience.Normalize(c.Audience?.Users, c.Audience?.Roles) switch
    {
        _ when state.HasEnded => DevLinkRejections.Ended,
        { } audience when audience.Validate(c.Members) is { } invalid => invalid,
        var audience when DevLinkAudience.Same(audience, state.Audience) => Decision.None,
        var audience => Decision.Accept(new DevLinkAudienceChanged(state.Id, state.OrgId, audience, c.Actor, c.Now)),
    };

    private static Decision Revoke(RevokeDevLink c, DevLink state) => state switch
    {
        { HasEnded: true } => Decision.None,
        _ when c.Reason is { Length: > MaxReasonLength } => DevLinkRejections.ReasonTooLong,
        _ => Decision.Accept(new DevLinkRevoked(state.Id, state.OrgId, string.IsNullOrWhiteSpace(c.Reason) ? null : c.Reason.Trim(), c.Actor, c.Now)),
    };

    private static Decision Expire(ExpireDevLink c, DevLink state) => state switch
    {
        { HasEnded: true } => Decision.None,
        _ when c.Now < state.ExpiresAt => DevLinkRejections.NotYetDue(state.ExpiresAt),
        _ => Decision.Accept(new DevLinkExpired(state.Id, state.OrgId, state.ExpiresAt, c.Actor, c.Now)),
    };

    /// <summary>The issuer (while still allowed to use workspaces), or an Admin/Owner, manages a link; others are refused.</summary>
    private static Rejection? MayNotManage(DevLink state, Guid orgId, Role? role, string actor) => role switch
    {
        _ when orgId != state.OrgId => DevLinkRejections.NotFound,
        null => DevLinkRejections.NotFound,
        var r when r.Value.Can(Permission.ManagePolicy) => null,
        var r when actor == state.Issuer && r.Value.Can(Permission.UseWorkspaces) => null,
        _ => DevLinkRejections.NotAllowed,
    };
}

public static class DevLinkRejections
{
    public static readonly Rejection NotFound = new("dev_link.not_found", "The dev link does not exist.", RejectionKind.NotFound);

    public static readonly Rejection AlreadyExists = new("dev_link.already_exists", "A dev link with this id already exists.", RejectionKind.Conflict);

    public static readonly Rejection WorkspaceNotFound = new(
        "dev_link.workspace_not_found", "The workspace does not exist in this organization.", RejectionKind.NotFound);

    public static readonly Rejection SurfacesRequired = new(
        "dev_link.surfaces_required", "Name at least one surface: Web, Api, Assets or WebSockets.", RejectionKind.Unprocessable);

    public static readonly Rejection ExpiryTooShort = new(
        "dev_link.expiry_too_short", $"A dev link lives at least {DevLinkPolicy.MinimumExpiry.TotalMinutes:0} minutes.", RejectionKind.Unprocessable);

    public static readonly Rejection Ended = new("dev_link.ended", "The dev link was revoked or has expired.", RejectionKind.Conflict);

    public static readonly Rejection NotAllowed = new(
        "dev_link.not_allowed", "Only the link's issuer, an Admin or an Owner may change or revoke it.", RejectionKind.Forbidden);

    public static readonly Rejection ReasonTooLong = new(
        "dev_link.reason_too_long", $"The reason must be at most {DevLinkDecider.MaxReasonLength} characters.", RejectionKind.Unprocessable);

    public static readonly Rejection NotSharedWithYou = new(
        "dev_link.not_shared_with_you", "This dev link is shared with named people or roles, and you are not among them.", RejectionKind.Forbidden);

    public static readonly Rejection AudienceTooLarge = new(
        "dev_link.audience_too_large", $"A link is shared with at most {DevLinkAudience.MaxUsers} named users; share it with a role instead.",
        RejectionKind.Unprocessable);

    public static readonly Rejection AudienceUserInvalid = new(
        "dev_link.audience_user_invalid", $"A user is named by their subject: 1 to {DevLinkAudience.MaxSubjectLength} characters.", RejectionKind.Unprocessable);

    public static readonly Rejection AudienceRoleInvalid = new(
        "dev_link.audience_role_invalid", $"Roles are: {string.Join(", ", Enum.GetNames<Role>())}.", RejectionKind.Unprocessable);

    public static readonly Rejection PolicyOutOfRange = new(
        "dev_link_policy.maximum_out_of_range",
        $"The maximum expiry must be between {DevLinkPolicy.MinimumExpiry.TotalMinutes:0} minutes and {DevLinkPolicy.Ceiling.TotalDays:0} days.",
        RejectionKind.Unprocessable);

    public static readonly Rejection PolicyDefaultOutOfRange = new(
        "dev_link_policy.default_out_of_range",
        $"The default expiry must be at least {DevLinkPolicy.MinimumExpiry.TotalMinutes:0} minutes and at most the maximum.",
        RejectionKind.Unprocessable);

    public static Rejection ServiceNotFound(string service) =>
        new("dev_link.service_not_found", $"The workspace declares no service named '{service}'.", RejectionKind.Unprocessable);

    /// <summary>Only an app is published to a reviewer; consoles, mail, storage, databases, admin tools and shells stay private.</summary>
    public static Rejection ServiceNotLinkable(string service, ServiceKind kind) => new(
        "dev_link.service_not_linkable",
        $"'{service}' is declared as a {kind.ToString().ToLowerInvariant()} service, which stays private to the workspace: only app services can be opened through a dev link.",
        RejectionKind.Unprocessable);

    public static Rejection ExpiryExceedsPolicy(TimeSpan maximum) => new(
        "dev_link.expiry_exceeds_policy", $"The expiry exceeds the organization's maximum of {maximum.TotalHours:0.##} hours.", RejectionKind.Unprocessable);

    public static Rejection AudienceUserNotMember(string subject) => new(
        "dev_link.audience_user_not_member", $"'{subject}' is not a member of this organization; a link is shared only with its members.",
        RejectionKind.Unprocessable);

    public static Rejection NotYetDue(DateTimeOffset expiresAt) =>
        new("dev_link.not_yet_due", $"The link expires at {expiresAt:O}, not yet.", RejectionKind.Conflict);
}
