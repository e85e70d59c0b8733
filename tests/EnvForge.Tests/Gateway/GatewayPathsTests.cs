using EnvForge.Api.Gateway;
using EnvForge.Domain.DevLinks;

namespace EnvForge.Tests.Gateway;

/// <summary>The gateway's path rules on raw request targets: clean, a trick (400) or a blocked surface (403).</summary>
public sealed class GatewayPathsTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/index.html", "/index.html")]
    [InlineData("/dashboard/settings", "/dashboard/settings")]
    [InlineData("/dashboard/settings/", "/dashboard/settings/")]
    [InlineData("/Dashboard", "/dashboard")]
    [InlineData("/api/users?id=1&x=/../ssh", "/api/users")]
    [InlineData("/search?q=%2F..%2Fssh", "/search")]
    [InlineData("/a%20b", "/a b")]
    [InlineData("/%61pi/echo", "/api/echo")]
    [InlineData("/.well-known/security.txt", "/.well-known/security.txt")]
    [InlineData("/sshd-docs", "/sshd-docs")]
    [InlineData("/docs/ssh", "/docs/ssh")]
    [InlineData("/docs/logs/today", "/docs/logs/today")]
    [InlineData("/app/root", "/app/root")]
    [InlineData("/v1.2/file", "/v1.2/file")]
    [InlineData("/a...b", "/a...b")]
    [InlineData("/~user", "/~user")]
    [InlineData("/logsheet", "/logsheet")]
    [InlineData("/logs-archive", "/logs-archive")]
    [InlineData("/catalog.json", "/catalog.json")]
    [InlineData("/blog/logs.json", "/blog/logs.json")]
    [InlineData("/rootbeer.html", "/rootbeer.html")]
    public void Canonical_paths_are_clean_and_come_back_decoded_in_lower_case(string target, string expected)
    {
        Assert.Equal(PathVerdict.Clean, GatewayPaths.Check(target, out var path));
        Assert.Equal(expected, path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("ssh")]
    [InlineData("http://other/")]
    [InlineData("https://other/ssh")]
    [InlineData("other:443")]
    [InlineData("/a%2Fb")]
    [InlineData("/a%2fb")]
    [InlineData("/a%5Cb")]
    [InlineData("/a%5cb")]
    [InlineData("/a\\b")]
    [InlineData("/\\ssh")]
    [InlineData("/a/../ssh")]
    [InlineData("/a/..")]
    [InlineData("/..")]
    [InlineData("/./ssh")]
    [InlineData("/a/./b")]
    [InlineData("/%2e%2e/ssh")]
    [InlineData("/%2E%2E/")]
    [InlineData("/.%2e/")]
    [InlineData("/%2e/")]
    [InlineData("/a%252Fb")]
    [InlineData("/a%2525")]
    [InlineData("/%25")]
    [InlineData("//ssh")]
    [InlineData("//")]
    [InlineData("/a//b")]
    [InlineData("/a///")]
    [InlineData("/..;/ssh")]
    [InlineData("/app;jsessionid=1")]
    [InlineData("/a%3Bb")]
    [InlineData("/a%3Fb")]
    [InlineData("/a%23b")]
    [InlineData("/ssh%00")]
    [InlineData("/a%0d%0aX-Injected:%201")]
    [InlineData("/a%09b")]
    [InlineData("/a%7F")]
    [InlineData("/caf%C3%A9")]
    [InlineData("/café")]
    [InlineData("/a\tb")]
    [InlineData("/a%")]
    [InlineData("/a%2")]
    [InlineData("/a%zz")]
    [InlineData("/a%2G")]
    [InlineData("/logs#frag")]
    [InlineData("/#")]
    [InlineData("/page?q=1#x")]
    public void Encoding_and_traversal_tricks_are_refused_not_normalized(string target)
    {
        Assert.Equal(PathVerdict.Trick, GatewayPaths.Check(target, out _));
    }

    [Fact]
    public void A_target_longer_than_2048_characters_is_refused()
    {
        Assert.Equal(PathVerdict.Clean, GatewayPaths.Check("/" + new string('a', 2047), out _));
        Assert.Equal(PathVerdict.Trick, GatewayPaths.Check("/" + new string('a', 2048), out _));
    }

    [Theory]
    [InlineData("/ssh")]
    [InlineData("/ssh/")]
    [InlineData("/ssh/session/1")]
    [InlineData("/SSH")]
    [InlineData("/Ssh/x")]
    [InlineData("/%73sh")]
    [InlineData("/%53%53%48")]
    [InlineData("/logs")]
    [InlineData("/Logs")]
    [InlineData("/secrets")]
    [InlineData("/secrets?name=db")]
    [InlineData("/_runtime")]
    [InlineData("/minio")]
    [InlineData("/mailpit")]
    [InlineData("/mailhog")]
    [InlineData("/tailscale")]
    [InlineData("/root")]
    [InlineData("/terminal")]
    [InlineData("/exec")]
    [InlineData("/env")]
    [InlineData("/docker")]
    [InlineData("/metrics")]
    [InlineData("/debug")]
    [InlineData("/grafana")]
    [InlineData("/phpmyadmin/index.php")]
    [InlineData("/__envforge")]
    [InlineData("/__envforge/open/")]
    [InlineData("/__envforge/anything")]
    [InlineData("/.git/config")]
    [InlineData("/.GIT/HEAD")]
    [InlineData("/.env")]
    [InlineData("/.env.local")]
    [InlineData("/app/.env")]
    [InlineData("/static/.ssh/id_rsa")]
    [InlineData("/.well-known/../.env")]
    [InlineData("/logs.")]
    [InlineData("/logs..")]
    [InlineData("/logs%20")]
    [InlineData("/%20logs")]
    [InlineData("/%20%20logs%20/x")]
    [InlineData("/logs.json")]
    [InlineData("/logs.JSON")]
    [InlineData("/logs.json.")]
    [InlineData("/logs%20.json")]
    [InlineData("/logs.tar.gz")]
    [InlineData("/secrets.yaml")]
    [InlineData("/secrets.env")]
    [InlineData("/_admin.")]
    [InlineData("/_admin.html")]
    [InlineData("/ssh.php")]
    [InlineData("/root.txt")]
    [InlineData("/mailpit.html/inbox")]
    [InlineData("/__envforge./open")]
    public void Surfaces_a_link_never_opens_are_blocked_in_any_case_or_encoding(string target)
    {
        var verdict = GatewayPaths.Check(target, out _);
        Assert.True(verdict != PathVerdict.Clean, $"{target} was clean");
        if (!target.Contains("..", StringComparison.Ordinal))
        {
            Assert.Equal(PathVerdict.Blocked, verdict);
        }
    }

    [Fact]
    public void Every_blocked_segment_is_blocked_as_a_first_segment()
    {
        foreach (var (segment, reason) in GatewayPaths.BlockedSegments)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{segment} has no reason");
            Assert.Equal(PathVerdict.Blocked, GatewayPaths.Check($"/{segment}", out _));
            Assert.Equal(PathVerdict.Blocked, GatewayPaths.Check($"/{segment.ToUpperInvariant()}/x?y=1", out _));
        }
    }

    [Theory]
    [InlineData("/__envforge/open?token=efl1.abc")]
    [InlineData("/__envforge/open")]
    public void The_open_path_is_the_gateways_own_never_an_app_surface_and_comes_back_for_the_gateway_to_recognize(string target)
    {
        Assert.Equal(PathVerdict.Blocked, GatewayPaths.Check(target, out var path));
        Assert.Equal(DevLinkGateway.OpenPath, path);
    }

    [Theory]
    [InlineData("/", DevLinkSurface.Web)]
    [InlineData("/index.html", DevLinkSurface.Web)]
    [InlineData("/dashboard", DevLinkSurface.Web)]
    [InlineData("/dashboard/settings/", DevLinkSurface.Web)]
    [InlineData("/apiary", DevLinkSurface.Web)]
    [InlineData("/docs/api", DevLinkSurface.Web)]
    [InlineData("/assets", DevLinkSurface.Web)]
    [InlineData("/jsx/page", DevLinkSurface.Web)]
    [InlineData("/app.js/page", DevLinkSurface.Web)]
    [InlineData("/api", DevLinkSurface.Api)]
    [InlineData("/api/", DevLinkSurface.Api)]
    [InlineData("/api/users/1", DevLinkSurface.Api)]
    [InlineData("/api/export.json", DevLinkSurface.Api)]
    [InlineData("/assets/app.js", DevLinkSurface.Assets)]
    [InlineData("/assets/", DevLinkSurface.Assets)]
    [InlineData("/static/media/logo", DevLinkSurface.Assets)]
    [InlineData("/_next/static/chunks/main.js", DevLinkSurface.Assets)]
    [InlineData("/build/bundle", DevLinkSurface.Assets)]
    [InlineData("/dist/x", DevLinkSurface.Assets)]
    [InlineData("/public/robots", DevLinkSurface.Assets)]
    [InlineData("/images/a.png", DevLinkSurface.Assets)]
    [InlineData("/fonts/inter.woff2", DevLinkSurface.Assets)]
    [InlineData("/css/site.css", DevLinkSurface.Assets)]
    [InlineData("/js/app", DevLinkSurface.Assets)]
    [InlineData("/favicon.ico", DevLinkSurface.Assets)]
    [InlineData("/app.js", DevLinkSurface.Assets)]
    [InlineData("/main.mjs", DevLinkSurface.Assets)]
    [InlineData("/deep/path/styles.css", DevLinkSurface.Assets)]
    [InlineData("/manifest.webmanifest", DevLinkSurface.Assets)]
    [InlineData("/module.wasm", DevLinkSurface.Assets)]
    [InlineData("/robots.txt", DevLinkSurface.Assets)]
    [InlineData("/page.php", DevLinkSurface.Web)]
    [InlineData("/report.pdf", DevLinkSurface.Web)]
    [InlineData("/v1.2/file", DevLinkSurface.Web)]
    public void Clean_paths_are_classified_by_surface(string path, DevLinkSurface surface)
    {
        Assert.Equal(surface, GatewayPaths.Classify(path));
    }

    [Theory]
    [InlineData("/API/Users", DevLinkSurface.Api)]
    [InlineData("/%61pi/x", DevLinkSurface.Api)]
    [InlineData("/Assets/App.JS", DevLinkSurface.Assets)]
    [InlineData("/LOGO.PNG", DevLinkSurface.Assets)]
    public void Classification_sees_the_checked_form_so_case_and_encoding_do_not_change_the_surface(string target, DevLinkSurface surface)
    {
        Assert.Equal(PathVerdict.Clean, GatewayPaths.Check(target, out var path));
        Assert.Equal(surface, GatewayPaths.Classify(path));
    }
}
