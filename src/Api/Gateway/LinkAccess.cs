using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Gateway;

/// <summary>Who a request is for: the link its session opened (or why not).</summary>
public readonly record struct Admission(LinkBinding? Link, Refusal? Refusal);

/// <summary>Where a request may go: the link's workspace and the port of its service (or why not).</summary>
public readonly record struct Destination(RuntimeBinding? Runtime, int Port, Refusal? Refusal);

/// <summary>
/// The access rules, as a pure check against the in-memory <see cref="DevLinkDirectory"/> (no I/O): a session signed for
/// this host's link and its current token generation, the link not revoked and not past its expiry by this clock, the
/// session's person still a member and in the audience; then the surface one of the link's, and the service an app
/// of a live workspace of the link's org. The gateway asks it for every new request and again, for what is still open,
/// whenever the directory changes (<see cref="LiveRequests"/>), so both see the same rules at the same moment.
/// </summary>
public sealed class LinkAccess(DevLinkDirectory directory, TimeProvider time, IOptions<DevLinkDirectoryOptions> feed)
{
    public const string SignInToOpen = "This dev link is shared with named people: sign in to EnvForge and open it there (POST /dev-links/open).";

    public const string NotShared = "This dev link is not shared with you.";

    private static readonly Refusal NoSession = new(StatusCodes.Status401Unauthorized, "Open this dev link with its full URL first.", Code: "no_session");
    private static readonly Refusal Rotated = new(StatusCodes.Status401Unauthorized, "This dev link's session is no longer valid (the link was rotated).", Code: "rotated");
    private static readonly Refusal Ended = new(StatusCodes.Status410Gone, "This dev link was revoked or has expired.", Code: "ended");
    private static readonly Refusal SignIn = new(StatusCodes.Status401Unauthorized, SignInToOpen, Code: "sign_in");
    private static readonly Refusal NotSharedWithYou = new(StatusCodes.Status403Forbidden, NotShared, Code: "not_shared");
    private static readonly Refusal NotRunning = new(StatusCodes.Status503ServiceUnavailable, "The workspace is not running.", RetryAfter: 30);
    private static readonly Refusal Stale = new(
        StatusCodes.Status503ServiceUnavailable, "The gateway cannot check links right now; try again in a moment.", RetryAfter: 2);

    private readonly TimeSpan _maxStaleness = feed.Value.MaxStaleness;

    /// <summary>Null while the directory is loaded and caught up; otherwise the 503 to answer (a revocation it cannot see must not be served past).</summary>
    public Refusal? Unchecked => directory.IsCurrent(time, _maxStaleness) ? null : Stale;

    /// <summary>The session (null: none, or not validly signed) for link <paramref name="linkId"/>, as things stand.</summary>
    public Admission Admit(Guid linkId, SignedLink? session, DateTimeOffset now)
    {
        if (session is not { } signed || signed.LinkId != linkId)
        {
            return new(null, NoSession);
        }

        if (!directory.TryGetLink(linkId, out var link) || signed.Generation != link.Generation)
        {
            return new(null, Rotated);
        }

        if (!link.IsUsable(now) || signed.SessionExpiresAt <= now)
        {
            return new(null, Ended);
        }

        // A link with an audience: the session's person is still a member, and still in the audience, now.
        if (!directory.Allows(link, signed.Subject))
        {
            return new(null, signed.Subject is null ? SignIn : NotSharedWithYou);
        }

        return new(link, null);
    }

    /// <summary>The surface one of the link's, and its service an app, declared by a live workspace of the link's org.</summary>
    public Destination Allow(LinkBinding link, DevLinkSurface surface)
    {
        if (!link.Surfaces.Contains(surface))
        {
            return new(null, 0, new(StatusCodes.Status403Forbidden, $"This link does not open the {surface} surface.", Code: "surface"));
        }

        if (!directory.TryGetRuntime(link.WorkspaceId, out var runtime) || !runtime.Live || runtime.OrgId != link.OrgId
            || !runtime.Services.TryGetValue(link.Service, out var service))
        {
            return new(null, 0, NotRunning);
        }

        return service.Kind == ServiceKind.App
            ? new(runtime, service.Port, null)
            : new(null, 0, new(StatusCodes.Status403Forbidden, $"This service is a {service.Kind.ToString().ToLowerInvariant()} service, private to its workspace: no dev link opens it.", Code: "private_service"));
    }

    /// <summary>Both checks, for a request already under way: null while it may go on, else why it must stop.</summary>
    public Refusal? Recheck(Guid linkId, SignedLink? session, DevLinkSurface surface)
    {
        if (Unchecked is { } stale)
        {
            return stale;
        }

        var admission = Admit(linkId, session, time.GetUtcNow());
        return admission.Refusal ?? Allow(admission.Link!, surface).Refusal;
    }
}
