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
