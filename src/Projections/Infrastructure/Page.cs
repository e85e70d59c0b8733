using System.Buffers.Text;
using System.Text;

namespace EnvForge.Projections.Infrastructure;

/// <summary>One page of a read model; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Opaque keyset cursors: the key of the last item returned, base64url-encoded so clients treat it as a token.
/// Keyset (not offset) pagination stays correct while new entries arrive.
/// </summary>
public static class Cursor
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static string Encode(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    public static string Encode(long key) => Encode(key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Decodes a cursor, or returns false for one that was not made here.</summary>
    public static bool TryDecode(string? cursor, out string key)
    {
        key = string.Empty;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        try
        {
            key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return key.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool TryDecode(string? cursor, out long key)
    {
        key = 0;
        return TryDecode(cursor, out string text)
            && (text.Length == 0 || long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out key));
    }
}
