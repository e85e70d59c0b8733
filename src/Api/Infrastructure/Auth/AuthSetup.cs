using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Api.Infrastructure.Auth;

public static class AuthSetup
{
    /// <summary>
    /// JWT bearer only identifies the caller. What they may do is decided by EnvForge (<see cref="OrgAccess"/>),
    /// never by roles or scopes in the token.
    /// </summary>
    public static IServiceCollection AddEnvForgeAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        services.AddAuthorization();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
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

            if (options.IsLocal)
            {
                jwt.TokenValidationParameters.ValidIssuer = options.LocalIssuer;
                jwt.TokenValidationParameters.IssuerSigningKey = LocalSigningKey.Load(options, DataDirectory.Resolve(configuration));
                jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            }
            else
            {
                jwt.Authority = options.Authority;
                jwt.Audience = options.Audience;
            }

            jwt.Events = new JwtBearerEvents { OnChallenge = WriteChallengeProblemAsync };
        });
        return services;
    }

    /// <summary>401 as ProblemDetails, with a reason a caller can act on and nothing of the token itself.</summary>
    private static Task WriteChallengeProblemAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var (code, detail) = context.AuthenticateFailure switch
        {
            null => ("unauthenticated", "A bearer access token is required."),
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
