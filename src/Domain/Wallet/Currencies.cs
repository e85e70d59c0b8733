namespace EnvForge.Domain.Wallet;

/// <summary>ISO 4217 codes a wallet may hold (the ones Stripe charges in that EnvForge offers), upper case.</summary>
public static class Currencies
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "AUD", "BGN", "BRL", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "INR", "JPY", "KRW", "MXN", "NOK", "NZD", "PLN",
        "RON", "SEK", "SGD", "USD", "ZAR",
    };

    public static bool IsSupported(string? code) => code is { Length: 3 } && Supported.Contains(code);

    public static IReadOnlyCollection<string> All => Supported;
}
