namespace EnvForge.Api.Infrastructure;

/// <summary>
/// Reads an enum from text by exact name only. Not <c>Enum.TryParse</c>: that also takes numbers and comma lists
/// ("Owner,Admin" is the bitwise OR of their values), so input could name a value nobody wrote.
/// </summary>
public static class EnumNames
{
    public static bool TryParse<T>(string? text, bool ignoreCase, out T value)
        where T : struct, Enum
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var name in Enum.GetNames<T>())
        {
            if (string.Equals(name, text, comparison))
            {
                value = Enum.Parse<T>(name);
                return true;
            }
        }

        value = default;
        return false;
    }

    public static bool IsName<T>(string? text, bool ignoreCase = false)
        where T : struct, Enum => TryParse<T>(text, ignoreCase, out _);
}
