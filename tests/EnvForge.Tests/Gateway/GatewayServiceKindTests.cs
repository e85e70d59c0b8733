using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Workspaces;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// Only an app is linkable: a service has a kind, declared with it or, for the well-known consoles, mail catchers, storage,
/// shells and databases, private by default; the API issues no link to a private service, and the gateway checks the
/// kind again on every request, from its directory, whatever a link's stream says.
/// </summary>
public sealed class GatewayServiceKindTests(PostgresServer postgres, GatewayServiceKindTests.Fixture fixture)
    : IClassFixture<GatewayServiceKindTests.Fixture>, IAsyncLifetime
{
    private static readonly string[] AllSurfaces = ["Web", "Api", "Assets", "WebSockets"];

    public sealed class Fixture : GatewayFixture
    {
        public Guid Org { get; private set; }

        protected override async Task SeedAsync(GatewayHost host)
        {
            Org = await host.OrgAsync("alice");
            var owner = host.ApiAs("alice");
            await (await owner.PostJsonAsync($"/orgs/{Org}/members", new { userId = "dev", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
            await (await owner.PutAsJsonAsync($"/orgs/{Org}/aws", new { roleArn = "arn:aws:iam::123456789012:role/envforge" })).AssertStatusAsync(HttpStatusCode.OK);
            await Wallet.WalletSeed.FundAsync(host.Store, Org); // these tests are not about paying
        }
    }

    private GatewayHost Host => fixture.Host ?? throw new InvalidOperationException("not initialized");

    private static string Probe() => Guid.NewGuid().ToString("N");

    public ValueTask InitializeAsync() => new(fixture.EnsureStartedAsync(postgres));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<HttpResponseMessage> DeclareAsync(string name, object[] services) =>
        await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/workspaces",
            new { name, repository = "https://git.example.com/acme/app", branch = "main", services });

    private Task<HttpResponseMessage> IssueAsync(Guid workspaceId, string service) =>
        Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/workspaces/{workspaceId}/dev-links", new { service, surfaces = AllSurfaces, expiresInMinutes = 60 });

    [Fact]
    public async Task Well_known_consoles_declared_without_a_kind_are_private_and_get_no_link()
    {
        var declared = await DeclareAsync("consoles", [
            new { name = "web", port = 3000 }, new { name = "mailpit", port = 8025 }, new { name = "minio", port = 9000 }, new { name = "ssh", port = 22 },
            new { name = "tailscale", port = 41641 }, new { name = "pgadmin", port = 5050 }, new { name = "mail-ui", port = 8025 },
            new { name = "minio-console", port = 9001 }, new { name = "db", port = 5432 },
        ]);
        await declared.AssertStatusAsync(HttpStatusCode.Accepted);
        var workspace = await declared.ReadAsync<WorkspaceResponse>();

        foreach (var service in new[] { "mailpit", "minio", "ssh", "tailscale", "pgadmin", "mail-ui", "minio-console", "db" })
        {
            var refused = await IssueAsync(workspace.Id, service);
            var problem = await refused.AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.service_not_linkable");
            Assert.Contains(service, (string?)problem["detail"], StringComparison.Ordinal);
        }

        await (await IssueAsync(workspace.Id, "web")).AssertStatusAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_kind_declared_with_the_service_decides_and_an_unknown_kind_is_refused()
    {
        var declared = await DeclareAsync("declared", [
            new { name = "web", port = 3000, kind = "app" }, new { name = "board", port = 3001, kind = "console" },
            new { name = "mailpit", port = 3002, kind = "App" }, new { name = "files", port = 3003, kind = "storage" },
        ]);
        await declared.AssertStatusAsync(HttpStatusCode.Accepted);
        var workspace = await declared.ReadAsync<WorkspaceResponse>();
        Assert.Equal([ServiceKind.App, ServiceKind.Console, ServiceKind.App, ServiceKind.Storage], workspace.Services.Select(s => s.Kind));

        await (await IssueAsync(workspace.Id, "board")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.service_not_linkable");
        await (await IssueAsync(workspace.Id, "files")).AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.service_not_linkable");
        // Declared an app on purpose: the declaration, not the name, decides.
        await (await IssueAsync(workspace.Id, "mailpit")).AssertStatusAsync(HttpStatusCode.Created);
        await (await IssueAsync(workspace.Id, "web")).AssertStatusAsync(HttpStatusCode.Created);

        var unknown = await DeclareAsync("unknown-kind", [new { name = "web", port = 3000, kind = "spaceship" }]);
        await unknown.AssertStatusAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_gateway_refuses_every_request_to_a_private_service_whatever_the_links_stream_says()
    {
        // A workspace whose mail catcher listens where the test upstream does, and a link to it written straight to its
        // stream (as one issued before kinds, or by a bug, would be): the gateway's own check is what stops it.
        var workspaceId = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using (var session = Host.Store.LightweightSession())
        {
            session.Events.StartStream<Workspace>(workspaceId,
                new WorkspaceCreated(workspaceId, fixture.Org, "mail", "https://git.example.com/acme/app", "main",
                    [new ServiceSpec("web", 1), new ServiceSpec("mailpit", Host.Upstream.Port) { Kind = ServiceKind.Mail }], [], "seed", now),
                new WorkspacePlaced(workspaceId, fixture.Org, $"i-{workspaceId.ToString("N")[..17]}", "eu-west-1", "seed", now),
                new WorkspaceReady(workspaceId, fixture.Org, ["ec2-running"], "seed", now),
                new WorkspaceWoke(workspaceId, fixture.Org, WakeTrigger.Api, [], "seed", now));
            await session.SaveChangesAsync();
        }

        var signer = Host.Services.GetRequiredService<DevLinkSigner>();
        var linkId = Guid.CreateVersion7();
        var (token, hash) = signer.IssueToken(linkId, 1);
        await using (var session = Host.Store.LightweightSession())
        {
            session.Events.StartStream<DevLink>(linkId, new DevLinkIssued(
                linkId, fixture.Org, workspaceId, "mailpit", "dev", now.AddHours(1), [.. Enum.GetValues<DevLinkSurface>()], signer.CurrentKeyId, hash, "dev", now));
            await session.SaveChangesAsync();
        }

        var cookie = await Host.SessionAsync(new IssuedLink(linkId, token, ""));
        var probe = Probe();
        foreach (var path in new[] { "/", "/api/echo", "/assets/app.js" })
        {
            using var response = await Host.GetAsync(linkId, path, cookie, probe);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => Host.WebSocketAsync(linkId, "/ws", cookie, probe));
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Host.Upstream.Received(probe));
    }
}
