namespace EnvForge.Api.Infrastructure.Auth;

/// <summary>
/// <c>EnvForge.Api keys list|rotate|retire KID</c>: the embedded provider's signing keys in the data directory. A rotated
/// key signs from the next start; until the old key is retired both are published, so tokens it signed stay valid.
/// </summary>
public static class KeyCommands
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        var dataDirectory = DataDirectory.Resolve(configuration);
        switch (args)
        {
            case ["list"]:
                var keys = SigningKeys.List(dataDirectory);
                for (var i = 0; i < keys.Count; i++)
                {
                    output.WriteLine(i == keys.Count - 1 ? $"{keys[i]} (signs)" : $"{keys[i]} (published)");
                }

                return 0;
            case ["rotate"]:
                output.WriteLine($"{SigningKeys.Rotate(dataDirectory)} added: it signs after the next start; older keys stay published until retired.");
                return 0;
            case ["retire", var keyId]:
                if (SigningKeys.Retire(dataDirectory, keyId, out var problem))
                {
                    output.WriteLine($"{keyId} retired: tokens it signed are refused after the next start.");
                    return 0;
                }

                error.WriteLine(problem);
                return 1;
            default:
                error.WriteLine("usage: EnvForge.Api keys list | rotate | retire KID");
                return 2;
        }
    }
}
