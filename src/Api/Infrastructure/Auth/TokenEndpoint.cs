using EnvForge.Domain.Sessions;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// The token endpoint, after OpenIddict has checked the grant (the code and its PKCE verifier, the device code and its
/// approval, the refresh token's signature and lifetime). Here every grant meets the Session stream: a code or a device
/// code starts a session; a refresh token is exchanged only if it is the session's current generation, and an older one
/// revokes the whole session (both decided and appended through <see cref="StreamCommands"/>, so they are audited).
/// </summary>
internal static partial class TokenEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext http, StreamCommands commands, LocalUsers users, RevokedSessions revoked, ISignInRefusals refusals, IOptions<AuthOptions> options,
        TimeProvider time, ILogger<LocalUser> logger)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null || !(request.IsAuthorizationCodeGrantType() || request.IsDeviceCodeGrantType() || request.IsRefreshTokenGrantType()))
        {
            return Refuse(Errors.UnsupportedGrantType, "This grant type is not supported.");
        }

        var granted = (await http.AuthenticateAsync(EmbeddedProvider.ProtocolScheme)).Principal;
        var subject = granted?.GetClaim(Claims.Subject);
        if (granted is null || subject is null || await users.FindAsync(subject, http.RequestAborted) is not { Disabled: false } user)
        {
            refusals.Refused("account_disabled");
            return Refuse(Errors.InvalidGrant, "The account is no longer allowed to sign in.");
        }

        var now = time.GetUtcNow();
        var from = SessionOrigin.Of(http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString());
        var context = new WriteContext(subject, http.TraceIdentifier);
        var principal = ProviderPrincipal.For(user, granted.GetScopes(), options.Value.Audience, granted.GetAuthorizationId());

        if (!request.IsRefreshTokenGrantType())
        {
            var sessionId = Guid.CreateVersion7(now);
            var flow = request.IsDeviceCodeGrantType() ? "device_code" : "authorization_code";
            var started = await commands.DecideAsync(SessionDecider.Decider, sessionId,
                _ => new StartSession(sessionId, subject, request.ClientId ?? "unknown", flow, from, subject, now), context, http.RequestAborted);
            return started.Changed
                ? Results.SignIn(ProviderPrincipal.InSession(principal, sessionId, 1), authenticationScheme: EmbeddedProvider.ProtocolScheme)
                : Refuse(Errors.TemporarilyUnavailable, "The session could not be recorded; try again.");
        }

        if (ProviderPrincipal.SessionOf(granted) is not var (id, generation))
        {
            refusals.Refused("unknown_session");
            return Refuse(Errors.InvalidGrant, "The refresh token belongs to no session.");
        }

        var refreshed = await commands.DecideAsync(SessionDecider.Decider, id,
            _ => new RefreshSession(id, subject, generation, from, subject, now), context, http.RequestAborted);
        switch (refreshed)
        {
            case { Status: DecisionStatus.Appended, State: { IsRevoked: false } session }:
                return Results.SignIn(ProviderPrincipal.InSession(principal, id, session.Generation), authenticationScheme: EmbeddedProvider.ProtocolScheme);
            case { Status: DecisionStatus.Appended, State: { } session }:
                revoked.Add(id, session.RevokedAt!.Value);
                LogReuse(logger, id, subject);
                return Refuse(Errors.InvalidGrant, "This refresh token was already used: the session is revoked. Sign in again.");
            case { Status: DecisionStatus.Rejected }:
                refusals.Refused("session_revoked");
                return Refuse(Errors.InvalidGrant, "The session was revoked. Sign in again.");
            default:
                return Refuse(Errors.TemporarilyUnavailable, "The session is busy; try again.");
        }
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [EmbeddedProvider.ProtocolScheme]);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refresh token reuse on session {SessionId} of {Subject}: the session is revoked")]
    private static partial void LogReuse(ILogger logger, Guid sessionId, string subject);
}
