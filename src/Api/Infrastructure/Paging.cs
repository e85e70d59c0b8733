using EnvForge.Projections.Infrastructure;

namespace EnvForge.Api.Infrastructure;

/// <summary>Reads <c>cursor</c> and <c>limit</c> query parameters, adding a validation error for bad ones.</summary>
public static class Paging
{
    public static bool TryRead(string? cursor, int? limit, Dictionary<string, string[]> errors, out string after, out int take)
    {
        take = ReadLimit(limit, errors);
        if (!Cursor.TryDecode(cursor, out after))
        {
            errors["cursor"] = ["The cursor is not one this API returned."];
        }

        return errors.Count == 0;
    }

    public static bool TryRead(string? cursor, int? limit, Dictionary<string, string[]> errors, out long after, out int take)
    {
        take = ReadLimit(limit, errors);
        if (!Cursor.TryDecode(cursor, out after))
        {
            errors["cursor"] = ["The cursor is not one this API returned."];
        }

        return errors.Count == 0;
    }

    /// <summary>For read models keyed by version-7 GUIDs (id order is time order): the cursor is the last id returned.</summary>
    public static bool TryRead(string? cursor, int? limit, Dictionary<string, string[]> errors, out Guid? after, out int take)
    {
        after = null;
        if (!TryRead(cursor, limit, errors, out string key, out take))
        {
            return false;
        }

        if (key.Length == 0)
        {
            return true;
        }

        if (!Guid.TryParse(key, out var id))
        {
            errors["cursor"] = ["The cursor is not one this API returned."];
            return false;
        }

        after = id;
        return true;
    }

    private static int ReadLimit(int? limit, Dictionary<string, string[]> errors)
    {
        if (limit is null)
        {
            return Cursor.DefaultLimit;
        }

        if (limit is < 1 or > Cursor.MaxLimit)
        {
            errors["limit"] = [$"Limit must be between 1 and {Cursor.MaxLimit}."];
        }

        return limit.Value;
    }
}
