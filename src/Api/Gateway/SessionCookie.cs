using System.Collections.Concurrent;
using EnvForge.Api.DevLinks;
using Microsoft.Extensions.Options;

namespace EnvForge.Api.Gateway;

/// <summary>What a request's Cookie header says about the session: none, one value, or several different ones.</summary>
public enum SessionPresence
{
    None,
    One,
    Conflicting,
}

/// <summary>
/// The gateway's session cookie: its name (<c>__Host-</c> prefixed on https), reading exactly one value from a request,
/// its signature check (cached), and setting it. The name is matched without regard to case, as ASP.NET Core reads
/// cookies; <see cref="IsSessionName"/> also knows its prefixed and padded forms, which the upstream may neither receive
/// nor set.
/// </summary>
public sealed class SessionCookie(DevLinkSigner signer, IOptions<GatewayOptions> options)
{
    /// <summary>Verified session cookies (the HMAC check is the costliest step of a request); state is still checked every time.</summary>
    private const int MaxCachedSessions = 10_000;

    private readonly ConcurrentDictionary<string, SignedLink> _verified = new(StringComparer.Ordinal);
    private readonly GatewayOptions _options = options.Value;

    public string Name { get; } = options.Value.SessionCookieName;

    /// <summary>
    /// The session cookie's value in the request. Two different values (a second cookie planted under the same name, in any
    /// case) are a conflict the gateway refuses rather than guess which one is meant.
    /// </summary>
    public SessionPresence Read(HttpRequest request, out string value)
    {
        value = "";
        var presence = SessionPresence.None;
        foreach (var header in request.Headers.Cookie)
        {
            foreach (var range in header.AsSpan().Split(';'))
            {
                var pair = header.AsSpan()[range];
                var equals = pair.IndexOf('=');
                if (equals < 0 || !pair[..equals].Trim().Equals(Name, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var found = pair[(equals + 1)..].Trim();
                if (presence == SessionPresence.None)
                {
                    value = found.ToString();
                    presence = SessionPresence.One;
                }
                else if (!found.SequenceEqual(value))
                {
                    return SessionPresence.Conflicting;
                }
            }
        }

        return presence;
    }

    /// <summary>The signature check, once per distinct value: what was verified stays verified (the key ring is fixed per process).</summary>
    public bool TryVerify(string value, out SignedLink session)
    {
        if (_verified.TryGetValue(value, out session))
        {
            return true;
        }

        if (!signer.TryReadSession(value, out session))
        {
            return false;
        }

        if (_verified.Count >= MaxCachedSessions)
        {
            _verified.Clear();
        }

        _verified.TryAdd(value, session);
        return true;
    }

    /// <summary>Sets the session: HttpOnly, SameSite=Lax, Path=/, host-only (no Domain), Secure and <c>__Host-</c> on https.</summary>
    public void Write(HttpResponse response, string value, DateTimeOffset expires) =>
        response.Cookies.Append(Name, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = _options.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });

    /// <summary>
    /// Whether a cookie name is the session's in any form a browser or a server might read as it: any case, whitespace
    /// around it, with or without the <c>__Host-</c> or <c>__Secure-</c> prefix.
    /// </summary>
    public bool IsSessionName(ReadOnlySpan<char> name)
    {
        name = name.Trim();
        while (true)
        {
            if (name.StartsWith("__Host-", StringComparison.OrdinalIgnoreCase))
            {
                name = name["__Host-".Length..];
            }
            else if (name.StartsWith("__Secure-", StringComparison.OrdinalIgnoreCase))
            {
                name = name["__Secure-".Length..];
            }
            else
            {
                return name.Trim().Equals(_options.CookieName, StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
