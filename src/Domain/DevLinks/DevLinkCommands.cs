using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;

namespace EnvForge.Domain.DevLinks;

/// <summary>A command on one DevLink stream. Lookups arrive as values, so decisions stay pure.</summary>
public interface IDevLinkCommand
{
    Guid LinkId { get; }

    string Actor { get; }

    DateTimeOffset Now { get; }
}

/// <param name="WorkspaceInOrg">The workspace exists, is live and belongs to <paramref name="OrgId"/>.</param>
/// <param name="ServiceDeclared">The workspace declares <paramref name="Service"/>.</param>
/// <param name="Expiry">How long the link lives; null for the policy's default.</param>
/// <param name="TokenHash">Hex SHA-256 of the token the API signed (and returns once).</param>
public sealed record IssueDevLink(
    Guid LinkId, Guid OrgId, Guid WorkspaceId, string Service, bool WorkspaceInOrg, bool ServiceDeclared, Role? IssuerRole, DevLinkPolicy Policy,
    TimeSpan? Expiry, IReadOnlyList<DevLinkSurface> Surfaces, string KeyId, string TokenHash, string Actor, DateTimeOffset Now) : IDevLinkCommand
{
    /// <summary>Who may open the link beyond holding it; null for anyone with the link.</summary>
    public DevLinkAudience? Audience { get; init; }

    /// <summary>The kind the workspace declares <see cref="Service"/> with: only an app is linkable (unused when it is not declared).</summary>
    public required ServiceKind ServiceKind { get; init; }

    /// <summary>The org's current members (subjects), which an audience's named users must be among.</summary>
    public IReadOnlySet<string> Members { get; init; } = new HashSet<string>();
}

/// <summary>
/// The gateway let a request through with this generation's token for the first time. <see cref="Actor"/> is who opened
/// it when the link has an audience (they signed in), "gateway" otherwise.
/// </summary>
public sealed record RecordDevLinkUse(Guid LinkId, int Generation, string Actor, DateTimeOffset Now) : IDevLinkCommand;

public sealed record RotateDevLink(Guid LinkId, Guid OrgId, Role? ActorRole, string KeyId, string TokenHash, string Actor, DateTimeOffset Now) : IDevLinkCommand;

public sealed record ChangeDevLinkSurfaces(Guid LinkId, Guid OrgId, Role? ActorRole, IReadOnlyList<DevLinkSurface> Surfaces, string Actor, DateTimeOffset Now)
    : IDevLinkCommand;

/// <param name="Audience">Null opens the link to anyone with it again.</param>
/// <param name="Members">The org's current members (subjects).</param>
public sealed record ChangeDevLinkAudience(
    Guid LinkId, Guid OrgId, Role? ActorRole, DevLinkAudience? Audience, IReadOnlySet<string> Members, string Actor, DateTimeOffset Now) : IDevLinkCommand;

public sealed record RevokeDevLink(Guid LinkId, Guid OrgId, Role? ActorRole, string? Reason, string Actor, DateTimeOffset Now) : IDevLinkCommand;

/// <summary>The link's expiry timer fired.</summary>
public sealed record ExpireDevLink(Guid LinkId, string Actor, DateTimeOffset Now) : IDevLinkCommand;
