using EnvForge.Domain.Organizations;

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
    TimeSpan? Expiry, IReadOnlyList<DevLinkSurface> Surfaces, string KeyId, string TokenHash, string Actor, DateTimeOffset Now) : IDevLinkCommand;

/// <summary>The gateway let a request through with this generation's token for the first time.</summary>
public sealed record RecordDevLinkUse(Guid LinkId, int Generation, string Actor, DateTimeOffset Now) : IDevLinkCommand;

public sealed record RotateDevLink(Guid LinkId, Guid OrgId, Role? ActorRole, string KeyId, string TokenHash, string Actor, DateTimeOffset Now) : IDevLinkCommand;

public sealed record ChangeDevLinkSurfaces(Guid LinkId, Guid OrgId, Role? ActorRole, IReadOnlyList<DevLinkSurface> Surfaces, string Actor, DateTimeOffset Now)
    : IDevLinkCommand;

public sealed record RevokeDevLink(Guid LinkId, Guid OrgId, Role? ActorRole, string? Reason, string Actor, DateTimeOffset Now) : IDevLinkCommand;

/// <summary>The link's expiry timer fired.</summary>
public sealed record ExpireDevLink(Guid LinkId, string Actor, DateTimeOffset Now) : IDevLinkCommand;
