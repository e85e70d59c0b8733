using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>The access token names a session that was revoked (signed out, revoked by its owner or an admin, or a refresh token reused).</summary>
public sealed class SessionRevokedException() : SecurityTokenValidationException("The session was revoked.");

public static class AuthSetup
{
    /// <summary>The default scheme: picks one of the two below by the token's issuer.</summary>
    public const string BearerScheme = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>Tokens of the OIDC issuer (Auth0 in production, the embedded provider by default): discovery, JWKS, audience, issuer.</summary>
    public const string OidcScheme = "EnvForge.Oidc";

    /// <summary>Operator tokens (ops/token.sh): the local HMAC key, embedded default only.</summary>
    public const string OperatorScheme = "EnvForge.Operator";

    /// <summary>The claim that carries the session id in access tokens.</summary>
    public const string SessionClaim = "sid";

    /// <summary>
    /// JWT bearer only identifies the caller. What they may do is decided by EnvForge (<see cref="OrgAccess"/>),
    /// never by roles or scopes in the token.
    /// </summary>
    public static IServiceCollection AddEnvForgeAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AuthOptions.Section);
        services.AddOptions<AuthOptions>().Bind(section);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        services.AddSingleton<RevokedSessions>();
        services.AddHostedService<RevokedSessionsFeed>();
        services.AddAuthorization();

        var authentication = services.AddAuthentication(BearerScheme)
            .AddPolicyScheme(BearerScheme, "EnvForge bearer token", policy => policy.ForwardDefaultSelector = http =>
                options.IsLocal && IssuerOf(http) == options.LocalIssuer ? OperatorScheme : OidcScheme)
            .AddJwtBearer(OidcScheme, jwt =>
            {
                Validate(jwt, options);
                jwt.Authority = options.IsLocal ? options.LocalIssuerUri(configuration).AbsoluteUri : options.Authority;
                if (!string.IsNullOrWhiteSpace(options.MetadataAddress))
                {
                    jwt.MetadataAddress = options.MetadataAddress;
                }

                jwt.Audience = options.Audience;
                if (options.IsLocal)
                {
                    jwt.RequireHttpsMetadata = options.RequireHttps;
                }

                jwt.Events.OnTokenValidated = RefuseRevokedSessions;
            });

        if (options.IsLocal)
        {
            authentication.AddJwtBearer(OperatorScheme, jwt =>
            {
                Validate(jwt, options);
                jwt.TokenValidationParameters.ValidIssuer = options.LocalIssuer;
                jwt.TokenValidationParameters.IssuerSigningKey = LocalSigningKey.Load(options, DataDirectory.Resolve(configuration));
                jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            });
        }

        return services;
    }

    private static void Validate(JwtBearerOptions jwt, AuthOptions options)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = options.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
        };
        jwt.Events = new JwtBearerEvents { OnChallenge = WriteChallengeProblemAsync };
    }

    /// <summary>The issuer a bearer token claims (unverified: it only picks the scheme that verifies it).</summary>
    private static string? IssuerOf(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return new JsonWebToken(header["Bearer ".Length..].Trim()).Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static Task RefuseRevokedSessions(TokenValidatedContext context)
    {
        var claim = context.Principal?.FindFirst(SessionClaim)?.Value;
        if (claim is not null && Guid.TryParse(claim, out var sessionId)
            && context.HttpContext.RequestServices.GetRequiredService<RevokedSessions>().IsRevoked(sessionId))
        {
            context.Fail(new SessionRevokedException());
        }

        return Task.CompletedTask;
    }

    /// <summary>401 as ProblemDetails, with a reason a caller can act on and nothing of the token itself.</summary>
    private static Task WriteChallengeProblemAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var (code, detail) = context.AuthenticateFailure switch
        {
            null => ("unauthenticated", "A bearer access token is required."),
            SessionRevokedException => ("session_revoked", "The session this token belongs to was revoked: sign in again."),
            SecurityTokenExpiredException => ("token_expired", "The access token has expired."),
            SecurityTokenInvalidAudienceException => ("token_invalid", "The access token was issued for another audience."),
            SecurityTokenInvalidIssuerException => ("token_invalid", "The access token was issued by an untrusted issuer."),
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => ("token_invalid", "The access token signature is not valid."),
            _ => ("token_invalid", "The access token is not valid."),
        };
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        return Problems.Problem(StatusCodes.Status401Unauthorized, code, "Unauthenticated", detail).ExecuteAsync(context.HttpContext);
    }
}
