namespace EnvForge.Api.Gateway;

/// <summary>
/// Which Set-Cookie answers of an app may reach the browser. Links share a parent domain, so a cookie an app could scope
/// beyond its own host, or name like the gateway's session, would plant or shadow cookies other links' origins receive.
/// </summary>
public static class UpstreamCookies
{
    /// <summary>
    /// False for a cookie with a Domain attribute (it would cover the parent domain or hosts below this one), an empty
    /// name (a nameless cookie is sent back as its bare value, <c>ef_link=...</c>), a name that is not an RFC 7230 token (browsers
    /// and servers read those differently), the session cookie's name in any form, or a name in the gateway's own
    /// <c>__envforge</c> namespace.
    /// </summary>
    public static bool MayPass(string? setCookie, SessionCookie session)
    {
        if (string.IsNullOrEmpty(setCookie))
        {
            return false;
        }

        var value = setCookie.AsSpan();
        var semicolon = value.IndexOf(';');
        var pair = semicolon < 0 ? value : value[..semicolon];
        var equals = pair.IndexOf('=');
        if (equals < 0)
        {
            return false; // no '=': a nameless cookie whose value is the whole pair
        }

        var name = pair[..equals].Trim(" \t");
        if (name.Length == 0 || !IsToken(name) || session.IsSessionName(name) || name.StartsWith("__envforge", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (semicolon < 0)
        {
            return true;
        }

        foreach (var range in value[(semicolon + 1)..].Split(';'))
        {
            var attribute = value[(semicolon + 1)..][range];
            var attributeEquals = attribute.IndexOf('=');
            var attributeName = (attributeEquals < 0 ? attribute : attribute[..attributeEquals]).Trim(" \t");
            if (attributeName.Equals("Domain", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 7230 tchar: visible ASCII except separators.</summary>
    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7f || "()<>@,;:\\\"/[]?={}".Contains(c))
            {
                return false;
            }
        }

        return true;
    }
}
