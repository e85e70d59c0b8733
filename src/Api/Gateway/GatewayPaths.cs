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
    /// <summary>
    /// First path segments (lower case) that are never an app surface, whatever the link's surfaces say, each with the reason.
    /// A segment matches after trimming spaces and trailing dots and dropping format suffixes (<c>/logs.json</c>,
    /// <c>/logs.</c>, <c>/%20logs</c>), because upstreams that trim or honour suffixes serve those as the bare name. The seed's
    /// list (shell, secrets, logs, MinIO console, Mailpit, runtime admin, Tailscale, root) is covered, plus what serves the same.
    /// </summary>
    public static readonly FrozenDictionary<string, string> BlockedSegments = new Dictionary<string, string>
    {
        ["__envforge"] = "the gateway's own paths (opening a link); never the app's",
        ["_envforge"] = "reserved for EnvForge's runtime agent",
        ["ssh"] = "SSH over the web: a shell on the workspace",
        ["_ssh"] = "SSH over the web: a shell on the workspace",
        ["sshd"] = "SSH over the web: a shell on the workspace",
        ["shell"] = "a web shell on the workspace",
        ["terminal"] = "a web terminal: a shell on the workspace",
        ["tty"] = "a web terminal: a shell on the workspace",
        ["wetty"] = "a web terminal: a shell on the workspace",
        ["exec"] = "running commands in the workspace's containers",
        ["logs"] = "logs carry tokens, cookies, secrets and personal data",
        ["_logs"] = "logs carry tokens, cookies, secrets and personal data",
        ["log"] = "logs carry tokens, cookies, secrets and personal data",
        ["secrets"] = "secret values the workspace resolved (SSM parameters)",
        ["_secrets"] = "secret values the workspace resolved (SSM parameters)",
        ["secret"] = "secret values the workspace resolved (SSM parameters)",
        ["env"] = "environment dumps hold secrets",
        ["_runtime"] = "the runtime agent's admin API (start, stop, inspect services)",
        ["runtime"] = "the runtime agent's admin API (start, stop, inspect services)",
        ["_admin"] = "the runtime's admin surface",
        ["docker"] = "the Docker API: root on the runtime host",
        ["_docker"] = "the Docker API: root on the runtime host",
        ["containers"] = "container management (the Docker API's paths)",
        ["metrics"] = "runtime and process metrics: internals of the workspace",
        ["debug"] = "debug endpoints (pprof, expvar, heap dumps) expose memory and internals",
        ["console"] = "consoles administer something other than the app",
        ["_console"] = "consoles administer something other than the app",
        ["minio"] = "the MinIO console: every bucket and its admin actions",
        ["mailhog"] = "a mail catcher: every mail the app sent (sign-in links, resets)",
        ["mailpit"] = "a mail catcher: every mail the app sent (sign-in links, resets)",
        ["adminer"] = "a database console",
        ["pgadmin"] = "a database console",
        ["phpmyadmin"] = "a database console",
        ["kibana"] = "a log console",
        ["grafana"] = "a metrics and log console with its data sources' credentials",
        ["tailscale"] = "the workspace's tailnet: its private network",
        ["_tailscale"] = "the workspace's tailnet: its private network",
        ["tailnet"] = "the workspace's tailnet: its private network",
        ["root"] = "root access on the runtime (elevation is granted through EnvForge, never a link)",
        ["_root"] = "root access on the runtime (elevation is granted through EnvForge, never a link)",
        ["sudo"] = "root access on the runtime (elevation is granted through EnvForge, never a link)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> BlockedLookup =
        BlockedSegments.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Suffixes an upstream may read as a format of the same resource (<c>/logs.json</c> is <c>/logs</c> as JSON), dropped
    /// before a first segment is matched against <see cref="BlockedSegments"/>.
    /// </summary>
    private static readonly string[] FormatSuffixes =
    [
        ".json", ".xml", ".txt", ".text", ".html", ".htm", ".yaml", ".yml", ".csv", ".tsv", ".log", ".md", ".gz", ".zip", ".tar", ".tgz",
        ".php", ".asp", ".aspx", ".jsp", ".cgi", ".do", ".action", ".js", ".css", ".ndjson", ".jsonl", ".env", ".bak", ".old", ".orig",
    ];

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
        if (rawTarget.Contains('#', StringComparison.Ordinal))
        {
            return PathVerdict.Trick; // a fragment is never sent; upstreams re-encode or cut it, so it is refused like %23
        }

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

            if (first && BlockedLookup.ContainsKey(Bare(segment)))
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

    /// <summary>A segment as an upstream that trims or honours format suffixes reads it: no spaces around it, no trailing dots, no format suffix.</summary>
    private static ReadOnlySpan<char> Bare(ReadOnlySpan<char> segment)
    {
        while (true)
        {
            var trimmed = segment.Trim(' ').TrimEnd('.');
            foreach (var suffix in FormatSuffixes)
            {
                if (trimmed.Length > suffix.Length && trimmed.EndsWith(suffix, StringComparison.Ordinal))
                {
                    trimmed = trimmed[..^suffix.Length];
                    break;
                }
            }

            if (trimmed.Length == segment.Length)
            {
                return trimmed;
            }

            segment = trimmed;
        }
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
