using System.Net;
using EnvForge.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// Links published on https (<c>Gateway:Scheme=https</c>, TLS ended in front of the gateway): the session cookie is a
/// <c>__Host-</c> cookie, which a browser accepts only from the link's own origin, Secure, with Path=/ and no Domain, so
/// no other site, link or subdomain can set or shadow it; origins are https origins.
/// </summary>
public sealed class GatewayHttpsSessionTests(PostgresServer postgres, GatewayHttpsSessionTests.Fixture fixture)
    : IClassFixture<GatewayHttpsSessionTests.Fixture>, IAsyncLifetime
{
    public sealed class Fixture : GatewayFixture
    {
        public Guid Org { get; private set; }

        public Guid Awake { get; private set; }

        protected override void Configure(IWebHostBuilder builder) => builder.UseSetting("Gateway:Scheme", "https");

        protected override async Task SeedAsync(GatewayHost host)
        {
            Org = await host.OrgAsync("alice");
            Awake = await host.WorkspaceAsync(Org);
        }
    }

    private GatewayHost Host => fixture.Host ?? throw new InvalidOperationException("not initialized");

    private static string Probe() => Guid.NewGuid().ToString("N");

    public ValueTask InitializeAsync() => new(fixture.EnsureStartedAsync(postgres));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task On_https_the_session_is_a_host_only_secure_host_prefixed_cookie_and_only_that_name_opens()
    {
        var link = await Host.IssueAsync("alice", fixture.Org, fixture.Awake, ["Web", "Api"]);
        Assert.StartsWith($"https://{GatewayHost.LinkHost(link.Id)}/__envforge/open?token=", link.Url, StringComparison.Ordinal);

        HttpResponseMessage opened;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((opened = await Host.OpenAsync(link.Id, link.Token)).StatusCode == HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await opened.AssertStatusAsync(HttpStatusCode.SeeOther);
        var setCookie = Assert.Single(opened.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-ef_link=", setCookie, StringComparison.Ordinal);
        var attributes = setCookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("path=/", attributes);
        Assert.Contains("httponly", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain", StringComparison.Ordinal));
        var session = setCookie["__Host-ef_link=".Length..].Split(';')[0];

        var host = GatewayHost.LinkHost(link.Id);
        var probe = Probe();
        var ok = await Host.RawGetAsync("/", host, null, probe, $"Cookie: __Host-ef_link={session}\r\n");
        Assert.Equal(200, ok.Status);
        Assert.Null(Assert.Single(Host.Upstream.Received(probe)).Header("Cookie"));

        // The unprefixed name is what any other site of the parent domain could set: it opens nothing.
        var unprefixed = Probe();
        Assert.Equal(401, (await Host.RawGetAsync("/", host, null, unprefixed, $"Cookie: ef_link={session}\r\n")).Status);
        Assert.Empty(Host.Upstream.Received(unprefixed));

        // Origins are the https origin of the link.
        string Post(string origin) =>
            $"POST /api/echo HTTP/1.1\r\nHost: {host}:{Host.Port}\r\nCookie: __Host-ef_link={session}\r\nOrigin: {origin}\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\nhi";
        Assert.Equal(200, (await Host.RawAsync(Post($"https://{host}:{Host.Port}"))).Status);
        Assert.Equal(403, (await Host.RawAsync(Post($"http://{host}:{Host.Port}"))).Status);
    }
}
