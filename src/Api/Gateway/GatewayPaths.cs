using System.Collections.Frozen;
using EnvForge.Domain.DevLinks;

namespace EnvForge.Api.Gateway;

/// <summary>What the gateway makes of a request target.</summary>
public enum PathVerdict
{
    /// <summary>A plain, canonical path: classify it.</summary>
    Clean,

    /// <summary>An encoding or traversal trick (encoded slash or backslash, double encoding, dot segments, NUL, ...).</summary>
    Trick,

    /// <summary>A surface no link ever opens (shell, logs, secrets, runtime admin, consoles, Tailscale, root, dotfiles).</summary>
    Blocked,
}

/// <summary>
/// The gateway's path rules, applied to the raw request target (before any decoding by the server), so that what is
/// checked is what the upstream will see. A target is clean only in canonical form: no encoded separators, no double
/// encoding, no dot or empty segments, no matrix parameters; everything else is refused rather than normalized.
/// </summary>
public static class GatewayPaths
{
    /// <summary>First path segments (lower case) that are never an app surface, whatever the link's surfaces say.</summary>
    public static readonly FrozenSet<string> BlockedSegments = new[]
    {
        "__envforge", "_envforge", "ssh", "_ssh", "sshd", "shell", "terminal", "tty", "wetty", "exec",
        "logs", "_logs", "log", "secrets", "_secrets", "secret", "env",
        "_runtime", "runtime", "_admin", "docker", "_docker", "containers", "metrics", "debug",
        "console", "_console", "minio", "mailhog", "mailpit", "adminer", "pgadmin", "phpmyadmin", "kibana", "grafana",
        "tailscale", "_tailscale", "tailnet", "root", "_root", "sudo",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> AssetPrefixes = new[] { "assets", "static", "_next", "build", "dist", "public", "images", "img", "fonts", "css", "js" }
        .ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> AssetExtensions = new[]
    {
        ".js", ".mjs", ".css", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        ".wasm", ".json", ".txt", ".webmanifest",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Checks the raw target's path (the part before '?'); <paramref name="path"/> is its decoded, lower-case form.</summary>
    public static PathVerdict Check(string rawTarget, out string path)
    {
        path = string.Empty;
        var end = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var raw = end < 0 ? rawTarget : rawTarget[..end];
        if (raw.Length == 0 || raw[0] != '/' || raw.Length > 2048)
        {
            return PathVerdict.Trick; // absolute-form or authority-form targets: the Host is ours to decide, not the target's
        }

        Span<char> decoded = raw.Length <= 512 ? stackalloc char[raw.Length] : new char[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                {
                    return PathVerdict.Trick;
                }

                c = (char)Convert.ToByte(raw.Substring(i + 1, 2), 16);
                i += 2;
                // Encoded separators, escapes and controls have no business in an app path.
                if (c is '/' or '\\' or '%' or '.' or ';' or '?' or '#' || char.IsControl(c) || c > 0x7e)
                {
                    return PathVerdict.Trick;
                }
            }
            else if (c is '\\' or ';' || char.IsControl(c) || c > 0x7e)
            {
                return PathVerdict.Trick;
            }

            decoded[n++] = char.ToLowerInvariant(c);
        }

        path = new string(decoded[..n]);
        var first = true;
        foreach (var range in path.AsSpan(1).Split('/'))
        {
            var segment = path.AsSpan(1)[range];
            if (segment.Length == 0 && range.End.Value != path.Length - 1)
            {
                return PathVerdict.Trick; // "//": an empty segment some upstreams collapse
            }

            if (segment is "." or "..")
            {
                return PathVerdict.Trick;
            }

            if (first && BlockedSegments.Contains(segment.ToString()))
            {
                return PathVerdict.Blocked;
            }

            if (segment.Length > 0 && segment[0] == '.' && segment is not ".well-known")
            {
                return PathVerdict.Blocked; // dotfiles: .git, .env, .ssh, ...
            }

            first = false;
        }

        return PathVerdict.Clean;
    }

    /// <summary>The surface a clean path (decoded, lower case) belongs to; WebSockets are told apart by the upgrade, not the path.</summary>
    public static DevLinkSurface Classify(string path)
    {
        if (path == "/api" || path.StartsWith("/api/", StringComparison.Ordinal))
        {
            return DevLinkSurface.Api;
        }

        var firstEnd = path.IndexOf('/', 1);
        var first = firstEnd < 0 ? path[1..] : path[1..firstEnd];
        if (firstEnd > 0 && AssetPrefixes.Contains(first))
        {
            return DevLinkSurface.Assets;
        }

        var dot = path.LastIndexOf('.');
        return dot > path.LastIndexOf('/') && AssetExtensions.Contains(path[dot..]) ? DevLinkSurface.Assets : DevLinkSurface.Web;
    }
}
