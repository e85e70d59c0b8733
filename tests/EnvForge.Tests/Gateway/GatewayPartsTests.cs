using System.Collections.Immutable;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Gateway;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.DevLinks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Gateway;

/// <summary>The gateway's parts one at a time, without sockets: each is small enough to be specified on its own.</summary>
public sealed class GatewayPartsTests
{
    private static readonly DevLinkSigner Signer = new(new Dictionary<string, byte[]> { ["k1"] = new byte[32] }, "k1");

    private static SessionCookie Sessions(string scheme = "http") => new(Signer, Options.Create(new GatewayOptions { Scheme = scheme }));

    // --- service kinds by default ---

    [Theory]
    [InlineData("web", 3000, ServiceKind.App)]
    [InlineData("api", 8080, ServiceKind.App)]
    [InlineData("frontend", 5173, ServiceKind.App)]
    [InlineData("storybook", 9000, ServiceKind.App)]
    [InlineData("mailpit", 8025, ServiceKind.Mail)]
    [InlineData("mailpit", 3000, ServiceKind.Mail)]
    [InlineData("MailHog", 3000, ServiceKind.Mail)]
    [InlineData("mail-ui", 3000, ServiceKind.Mail)]
    [InlineData("inbox", 8025, ServiceKind.Mail)]
    [InlineData("minio", 9000, ServiceKind.Storage)]
    [InlineData("minio-console", 9001, ServiceKind.Storage)]
    [InlineData("files", 9001, ServiceKind.Console)]
    [InlineData("ssh", 2222, ServiceKind.Shell)]
    [InlineData("box", 22, ServiceKind.Shell)]
    [InlineData("code-server", 8443, ServiceKind.Shell)]
    [InlineData("tailscale", 41641, ServiceKind.Admin)]
    [InlineData("pgadmin", 5050, ServiceKind.Console)]
    [InlineData("postgres", 5432, ServiceKind.Database)]
    [InlineData("cache", 6379, ServiceKind.Database)]
    public void Well_known_consoles_stores_shells_and_databases_are_private_by_default(string name, int port, ServiceKind kind) =>
        Assert.Equal(kind, ServiceKinds.DefaultFor(name, port));

    [Fact]
    public void Every_well_known_name_and_port_says_why_it_is_private()
    {
        Assert.All(ServiceKinds.ByName, e => Assert.True(e.Value.Kind != ServiceKind.App && e.Value.Reason.Length > 10, e.Key));
        Assert.All(ServiceKinds.ByPort, e => Assert.True(e.Value.Kind != ServiceKind.App && e.Value.Reason.Length > 3, $"{e.Key}"));
    }

    // --- cookies the app sets ---

    [Theory]
    [InlineData("app=1", true)]
    [InlineData("app=1; Path=/; HttpOnly; Secure; SameSite=Lax", true)]
    [InlineData("__Host-app=1; Path=/; Secure", true)]
    [InlineData("efx_link=1", true)]
    [InlineData("app=1; Domain=links.localhost", false)]
    [InlineData("app=1; Path=/; domain=.example", false)]
    [InlineData("app=1; Path=/;DOMAIN", false)]
    [InlineData("app=1; Domain=", false)]
    [InlineData("=ef_link=x", false)]
    [InlineData("ef_link", false)]
    [InlineData("", false)]
    [InlineData("  =x", false)]
    [InlineData("ef_link=x", false)]
    [InlineData("Ef_Link=x", false)]
    [InlineData(" ef_link =x", false)]
    [InlineData("__Host-ef_link=x; Secure; Path=/", false)]
    [InlineData("__secure-EF_LINK=x; Secure", false)]
    [InlineData("__Host-__Secure-ef_link=x", false)]
    [InlineData("__envforge=x", false)]
    [InlineData("a b=x", false)]
    [InlineData("a\"b=x", false)]
    [InlineData("a;b=x", false)]
    public void A_cookie_from_the_app_passes_only_host_only_well_named_and_not_in_the_sessions_name(string setCookie, bool passes) =>
        Assert.Equal(passes, UpstreamCookies.MayPass(setCookie, Sessions()));

    [Fact]
    public void On_https_the_session_cookie_is_host_prefixed_and_every_form_of_its_name_is_the_session()
    {
        var https = Sessions("https");
        Assert.Equal("__Host-ef_link", https.Name);
        Assert.Equal("ef_link", Sessions().Name);
        foreach (var name in new[] { "ef_link", "EF_LINK", " ef_link ", "__Host-ef_link", "__host-ef_link", "__Secure-ef_link", "__Host-__Host-ef_link" })
        {
            Assert.True(https.IsSessionName(name), name);
        }

        Assert.False(https.IsSessionName("ef_links"));
        Assert.False(https.IsSessionName("__Host-app"));
    }

    [Theory]
    [InlineData(null, SessionPresence.None, "")]
    [InlineData("a=1", SessionPresence.None, "")]
    [InlineData("a=1; ef_link=v; b=2", SessionPresence.One, "v")]
    [InlineData("EF_LINK=v", SessionPresence.One, "v")]
    [InlineData("ef_link=v; ef_link=v", SessionPresence.One, "v")]
    [InlineData("ef_link=v; ef_link=w", SessionPresence.Conflicting, "")]
    [InlineData("ef_link=v;Ef_Link=w", SessionPresence.Conflicting, "")]
    [InlineData("ef_link=v; ef_link=", SessionPresence.Conflicting, "")]
    [InlineData("__Host-ef_link=v", SessionPresence.None, "")]
    public void A_request_has_no_session_one_or_conflicting_ones(string? cookie, SessionPresence presence, string value)
    {
        var http = new DefaultHttpContext();
        if (cookie is not null)
        {
            http.Request.Headers.Cookie = cookie;
        }

        Assert.Equal(presence, Sessions().Read(http.Request, out var read));
        if (presence == SessionPresence.One)
        {
            Assert.Equal(value, read);
        }
    }

    // --- what a request is ---

    private sealed class Upgradable(bool upgradable) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => upgradable;

        public Task<Stream> UpgradeAsync() => throw new NotSupportedException();
    }

    private sealed class ExtendedConnect(string protocol) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => true;

        public string? Protocol => protocol;

        public ValueTask<Stream> AcceptAsync() => throw new NotSupportedException();
    }

    private static DefaultHttpContext Request(string method, bool upgradable, string? version = "13", string? key = "dGhlIHNhbXBsZSBub25jZQ==", string upgrade = "websocket")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Protocol = "HTTP/1.1";
        http.Features.Set<IHttpUpgradeFeature>(new Upgradable(upgradable));
        http.Request.Headers.Upgrade = upgrade;
        if (version is not null)
        {
            http.Request.Headers.SecWebSocketVersion = version;
        }

        if (key is not null)
        {
            http.Request.Headers.SecWebSocketKey = key;
        }

        return http;
    }

    [Fact]
    public void Only_a_well_formed_upgradable_get_is_a_websocket_handshake()
    {
        Assert.Equal(RequestKind.WebSocketHandshake, RequestKinds.Of(Request("GET", upgradable: true)));
        Assert.Equal(RequestKind.Plain, RequestKinds.Of(Request("GET", upgradable: false)));
        Assert.Equal(RequestKind.Plain, RequestKinds.Of(Request("POST", upgradable: false)));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("POST", upgradable: true)));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, version: "8")));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, version: null)));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, key: null)));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, key: "AAAAAAAAAAAAAAAAAAAAAAA=")));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, upgrade: "h2c")));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(Request("GET", upgradable: true, upgrade: "websocket, h2c")));
        var http10 = Request("GET", upgradable: true);
        http10.Request.Protocol = "HTTP/1.0";
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(http10));
        Assert.Equal(RequestKind.ForbiddenMethod, RequestKinds.Of(Request("CONNECT", upgradable: true)));
        Assert.Equal(RequestKind.ForbiddenMethod, RequestKinds.Of(Request("CONNECT", upgradable: false)));
        Assert.Equal(RequestKind.ForbiddenMethod, RequestKinds.Of(Request("TRACE", upgradable: false)));

        var h2 = Request("CONNECT", upgradable: false, key: null);
        h2.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect("websocket"));
        Assert.Equal(RequestKind.WebSocketHandshake, RequestKinds.Of(h2));
        h2.Request.Headers.SecWebSocketVersion = "12";
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(h2));
        var other = Request("CONNECT", upgradable: false);
        other.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect("webtransport"));
        Assert.Equal(RequestKind.InvalidUpgrade, RequestKinds.Of(other));
    }

    // --- origins ---

    [Fact]
    public void Acting_requests_need_the_links_own_origin_and_none_only_when_non_browser_clients_are_allowed()
    {
        var linkId = Guid.CreateVersion7();
        var host = $"{linkId:N}.links.example";
        HttpContext Http(string method, string? origin)
        {
            var http = new DefaultHttpContext();
            http.Request.Method = method;
            http.Request.Host = new HostString(host);
            if (origin is not null)
            {
                http.Request.Headers.Origin = origin;
            }

            return http;
        }

        var lenient = new LinkHosts(Options.Create(new GatewayOptions { Domain = "links.example", Scheme = "https" }));
        var strict = new LinkHosts(Options.Create(new GatewayOptions { Domain = "links.example", Scheme = "https", AllowRequestsWithoutOrigin = false }));

        Assert.True(lenient.IsFromOwnOrigin(Http("POST", $"https://{host}"), linkId, handshake: false));
        Assert.True(lenient.IsFromOwnOrigin(Http("POST", $"HTTPS://{host.ToUpperInvariant()}"), linkId, handshake: false));
        Assert.True(lenient.IsFromOwnOrigin(Http("GET", $"https://{host}"), linkId, handshake: true));
        Assert.True(lenient.IsFromOwnOrigin(Http("POST", null), linkId, handshake: false));
        Assert.False(strict.IsFromOwnOrigin(Http("POST", null), linkId, handshake: false));
        Assert.False(strict.IsFromOwnOrigin(Http("GET", null), linkId, handshake: true));
        Assert.True(strict.IsFromOwnOrigin(Http("GET", null), linkId, handshake: false)); // reading needs no origin
        foreach (var foreign in new[] { $"http://{host}", $"https://{Guid.NewGuid():N}.links.example", "https://links.example", "null", $"https://{host}.evil", $"https://{host}:8443", "" })
        {
            Assert.False(lenient.IsFromOwnOrigin(Http("DELETE", foreign), linkId, handshake: false), foreign);
            Assert.False(lenient.IsFromOwnOrigin(Http("GET", foreign), linkId, handshake: true), foreign);
            Assert.True(lenient.IsFromOwnOrigin(Http("GET", foreign), linkId, handshake: false), foreign);
        }

        Assert.True(lenient.TryReadLinkId(host, out var read));
        Assert.Equal(linkId, read);
        Assert.False(lenient.TryReadLinkId($"x.{host}", out _));
        Assert.False(lenient.TryReadLinkId($"{linkId:N}.links.example.evil", out _));
    }

    // --- the access check, pure, against an in-memory directory ---

    private sealed class Fixed(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void Access_is_decided_from_the_directory_alone_session_then_surface_then_service()
    {
        var now = DateTimeOffset.UtcNow;
        var orgId = Guid.CreateVersion7();
        var workspace = new Workspace(Guid.CreateVersion7(), orgId, "ws", "repo", "main",
            [new ServiceSpec("web", 3000), new ServiceSpec("mailpit", 8025) { Kind = ServiceKind.Mail }], [])
        { Status = WorkspaceStatus.Ready };
        DevLink Link(string service, DevLinkAudience? audience = null) => new(
            Guid.CreateVersion7(), orgId, workspace.Id, service, "dev", now.AddHours(1), [DevLinkSurface.Web], "k1", new string('A', 64), now)
        { Audience = audience };

        var directory = new DevLinkDirectory();
        var web = Link("web");
        var mail = Link("mailpit");
        var shared = Link("web", new DevLinkAudience(["rev"], []));
        directory.Put(web);
        directory.Put(mail);
        directory.Put(shared);
        directory.Put(workspace);
        directory.PutMembers(orgId, [("rev", Role.Viewer)]);
        directory.MarkLoaded();
        directory.MarkSynced(TimeProvider.System.GetTimestamp());
        var access = new LinkAccess(directory, new Fixed(now), Options.Create(new DevLinkDirectoryOptions()));

        SignedLink Session(DevLink link, int generation = 1, string? subject = null) => new(link.Id, generation, "k1", link.ExpiresAt, subject);

        Assert.Null(access.Unchecked);
        Assert.Null(access.Recheck(web.Id, Session(web), DevLinkSurface.Web));
        Assert.Equal(401, access.Admit(web.Id, null, now).Refusal?.Status);
        Assert.Equal(401, access.Admit(web.Id, Session(mail), now).Refusal?.Status); // another link's session
        Assert.Equal(401, access.Admit(web.Id, Session(web, generation: 2), now).Refusal?.Status);
        Assert.Equal(410, access.Admit(web.Id, Session(web), now.AddHours(2)).Refusal?.Status);
        Assert.Equal(403, access.Recheck(web.Id, Session(web), DevLinkSurface.Api)?.Status);
        Assert.Equal(403, access.Recheck(mail.Id, Session(mail), DevLinkSurface.Web)?.Status); // a mail catcher: private
        Assert.Equal(401, access.Admit(shared.Id, Session(shared), now).Refusal?.Status);
        Assert.Equal(403, access.Admit(shared.Id, Session(shared, subject: "val"), now).Refusal?.Status);
        Assert.Null(access.Recheck(shared.Id, Session(shared, subject: "rev"), DevLinkSurface.Web));

        directory.Put(workspace with { Status = WorkspaceStatus.Destroying });
        Assert.Equal(503, access.Recheck(web.Id, Session(web), DevLinkSurface.Web)?.Status);
        directory.Put(web with { RevokedAt = now });
        Assert.Equal(410, access.Recheck(web.Id, Session(web), DevLinkSurface.Web)?.Status);
    }
}
