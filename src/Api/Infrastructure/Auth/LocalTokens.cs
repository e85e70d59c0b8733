using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>Mints access tokens for the embedded default (local issuer). Production tokens come from the OIDC provider.</summary>
public static class LocalTokens
{
    public static string Mint(SymmetricSecurityKey key, AuthOptions options, string subject, string? name, DateTimeOffset now, TimeSpan lifetime)
    {
        var claims = new List<Claim> { new(JwtRegisteredClaimNames.Sub, subject) };
        if (!string.IsNullOrWhiteSpace(name))
        {
            claims.Add(new Claim(JwtRegisteredClaimNames.Name, name));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = options.LocalIssuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}

/// <summary><c>EnvForge.Api token SUBJECT [--name NAME] [--minutes N]</c>: prints a token signed with the local key.</summary>
public static class LocalTokenCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            error.WriteLine("usage: EnvForge.Api token SUBJECT [--name \"Display Name\"] [--minutes N]");
            return 2;
        }

        var subject = args[0];
        string? name = null;
        var minutes = 60;
        for (var i = 1; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--name":
                    name = args[i + 1];
                    break;
                case "--minutes" when int.TryParse(args[i + 1], out var m) && m is > 0 and <= 24 * 60:
                    minutes = m;
                    break;
                default:
                    error.WriteLine($"unknown or invalid option {args[i]}");
                    return 2;
            }
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (!options.IsLocal)
        {
            error.WriteLine("Auth:Authority is set: tokens come from your identity provider, not from EnvForge.");
            return 2;
        }

        var key = LocalSigningKey.Load(options, DataDirectory.Resolve(configuration));
        output.WriteLine(LocalTokens.Mint(key, options, subject, name, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(minutes)));
        return 0;
    }
}
