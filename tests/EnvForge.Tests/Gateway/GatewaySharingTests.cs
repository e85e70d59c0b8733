using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EnvForge.Api.DevLinks;
using EnvForge.Domain.DevLinks;
using EnvForge.Tests.DevLinks;
using EnvForge.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Tests.Gateway;

/// <summary>
/// Links shared with named members or roles, end to end: the API hands a signed-in member a one-use ticket, the gateway
/// turns it into a session bound to that person, and rechecks on every request that they are still a member and still
/// in the link's audience. Real PostgreSQL, the real gateway on Kestrel, a real upstream.
/// </summary>
public sealed class GatewaySharingTests(PostgresServer postgres, GatewaySharingTests.Fixture fixture) : IClassFixture<GatewaySharingTests.Fixture>, IAsyncLifetime
{
    private static readonly string[] Web = ["Web"];
    private static readonly object OnlyRev = new { users = new[] { "rev" } };
    private static readonly object RevAndAdmins = new { users = new[] { "rev" }, roles = new[] { "Admin" } };
    private static readonly object RevAndTemp = new { users = new[] { "rev", "temp" } };
    private static readonly object Viewers = new { roles = new[] { "Viewer" } };
    private static readonly object RevValAndGone = new { users = new[] { "rev", "val", "gone" } };

    /// <summary>One API with its gateway for the class: an org (olga owns it; dev issues links; rev, val, sam and ada are members) and an outsider's org.</summary>
    public sealed class Fixture : GatewayFixture
    {
        public Guid Org { get; private set; }

        public Guid Workspace { get; private set; }

        protected override async Task SeedAsync(GatewayHost host)
        {
            Org = await host.OrgAsync("olga");
            foreach (var (user, role) in new[] { ("dev", "Developer"), ("rev", "Viewer"), ("val", "Viewer"), ("sam", "Support"), ("ada", "Admin") })
            {
                await (await host.ApiAs("olga").PostJsonAsync($"/orgs/{Org}/members", new { userId = user, role })).AssertStatusAsync(HttpStatusCode.Created);
            }

            Workspace = await host.WorkspaceAsync(Org);
        }
    }

    private GatewayHost Host => fixture.Host ?? throw new InvalidOperationException("not initialized");

    private static string Probe() => Guid.NewGuid().ToString("N");

    public ValueTask InitializeAsync() => new(fixture.EnsureStartedAsync(postgres));

    public ValueTask DisposeAsync()
    {
        Host.Clock.Offset = TimeSpan.Zero;
        return ValueTask.CompletedTask;
    }

    private async Task<IssuedLink> IssueAsync(object? audience)
    {
        var response = await Host.ApiAs("dev").PostJsonAsync($"/orgs/{fixture.Org}/workspaces/{fixture.Workspace}/dev-links",
            new { service = "web", surfaces = Web, expiresInMinutes = 60, audience });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return IssuedLink.From(await response.ReadAsync<IssuedDevLinkResponse>());
    }

    private async Task<HttpResponseMessage> RequestTicketAsync(string subject, IssuedLink link) =>
        await Host.ApiAs(subject).PostJsonAsync("/dev-links/open", new { token = link.Token });

    private async Task<string> TicketUrlAsync(string subject, IssuedLink link)
    {
        var response = await RequestTicketAsync(subject, link);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        var opened = await response.ReadAsync<OpenDevLinkResponse>();
        Assert.Equal(link.Id, opened.LinkId);
        return opened.Url;
    }

    private async Task<HttpResponseMessage> GetUrlAsync(string url) => await Host.Links.GetAsync(new Uri(url.Replace($"localhost/", $"localhost:{Host.Port}/", StringComparison.Ordinal)));

    /// <summary>Follows a ticket URL, waiting (with a deadline) while the gateway's directory does not know the link yet (404).</summary>
    private async Task<HttpResponseMessage> UseTicketAsync(string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await GetUrlAsync(url);
            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
            {
                return response;
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A signed-in session for <paramref name="subject"/> on <paramref name="link"/>, through the API's ticket.</summary>
    /// <remarks>
    /// The API checks membership in the database, the gateway in its directory, which may be a poll behind (a member
    /// added a moment ago): a refused ticket is not used up, so it is tried again until a deadline.
    /// </remarks>
    private async Task<string> SignedInSessionAsync(string subject, IssuedLink link)
    {
        var url = await TicketUrlAsync(subject, link);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var opened = await UseTicketAsync(url);
        while (opened.StatusCode == HttpStatusCode.Forbidden && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            opened.Dispose();
            opened = await GetUrlAsync(url);
        }

        await opened.AssertStatusAsync(HttpStatusCode.SeeOther);
        var cookie = GatewayHost.SessionCookie(opened) ?? throw new InvalidOperationException("303 without a session cookie");
        Assert.StartsWith("efu1.", cookie, StringComparison.Ordinal);
        return cookie;
    }

    private Task<HttpResponseMessage> EventuallyAsync(Guid linkId, string? cookie, string probe, HttpStatusCode status) =>
        Host.EventuallyAsync(linkId, "/", cookie, probe, status);

    /// <summary>Times from the API's answer until the gateway refuses the session with <paramref name="status"/>: at most a second.</summary>
    private async Task AssertRefusedWithinASecondAsync(Func<Task<HttpResponseMessage>> change, Guid linkId, string cookie, HttpStatusCode status)
    {
        var clock = Stopwatch.StartNew();
        using (var changed = await change())
        {
            Assert.True(changed.IsSuccessStatusCode, $"the change was refused: {(int)changed.StatusCode} {await changed.Content.ReadAsStringAsync()}");
        }

        HttpResponseMessage response;
        do
        {
            response = await Host.GetAsync(linkId, "/", cookie, Probe());
        }
        while (response.StatusCode == HttpStatusCode.OK && clock.ElapsedMilliseconds < 5000);

        clock.Stop();
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"the gateway refused the session only after {clock.ElapsedMilliseconds} ms");

        var after = Probe();
        await AssertStatusAsync(await Host.GetAsync(linkId, "/", cookie, after), status);
        Assert.Empty(Host.Upstream.Received(after));
    }

    private static async Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        if ((int)status >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_link_with_an_audience_does_not_open_with_its_token_alone()
    {
        var link = await IssueAsync(OnlyRev);

        HttpResponseMessage opened;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            opened = await Host.OpenAsync(link.Id, link.Token);
        }
        while (opened.StatusCode == HttpStatusCode.NotFound && DateTime.UtcNow < deadline && await Task.Delay(20).ContinueWith(_ => true));

        await AssertStatusAsync(opened, HttpStatusCode.Unauthorized);
        Assert.Null(GatewayHost.SessionCookie(opened));
        Assert.Contains("POST /dev-links/open", await opened.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An anonymous session, validly signed (as one would be from before the link had an audience), gets no further.
        var signer = Host.Services.GetRequiredService<DevLinkSigner>();
        var anonymous = signer.IssueSession(link.Id, 1, DateTimeOffset.UtcNow.AddHours(1));
        var probe = Probe();
        await AssertStatusAsync(await Host.GetAsync(link.Id, "/", anonymous, probe), HttpStatusCode.Unauthorized);
        Assert.Empty(Host.Upstream.Received(probe));
    }

    [Fact]
    public async Task A_named_member_opens_it_signed_in_once_per_ticket_and_the_first_use_names_them()
    {
        var link = await IssueAsync(OnlyRev);
        var url = await TicketUrlAsync("rev", link);
        Assert.StartsWith($"http://{GatewayHost.LinkHost(link.Id)}/__envforge/open?ticket=eft1.", url, StringComparison.Ordinal);

        using var opened = await UseTicketAsync(url);
        await opened.AssertStatusAsync(HttpStatusCode.SeeOther);
        Assert.Equal("/", opened.Headers.Location?.OriginalString);
        var cookie = GatewayHost.SessionCookie(opened)!;
        Assert.StartsWith("efu1.", cookie, StringComparison.Ordinal);

        var probe = Probe();
        using var page = await EventuallyAsync(link.Id, cookie, probe, HttpStatusCode.OK);
        Assert.Equal("upstream GET /", await page.Content.ReadAsStringAsync());
        Assert.Single(Host.Upstream.Received(probe));

        // The same ticket again: used up.
        using var again = await GetUrlAsync(url);
        await AssertStatusAsync(again, HttpStatusCode.Unauthorized);
        Assert.Null(GatewayHost.SessionCookie(again));

        await using var session = Host.Store.QuerySession();
        var firstUse = (await session.Events.FetchStreamAsync(link.Id)).Select(e => e.Data).OfType<DevLinkFirstUsed>().Single();
        Assert.Equal("rev", firstUse.Actor);
    }

    [Fact]
    public async Task A_member_outside_the_audience_gets_no_ticket_and_a_ticket_signed_for_them_does_not_open_it()
    {
        var link = await IssueAsync(RevAndAdmins);

        await (await RequestTicketAsync("sam", link)).AssertStatusAsync(HttpStatusCode.Forbidden);
        await (await RequestTicketAsync("bob", link)).AssertStatusAsync(HttpStatusCode.NotFound); // not a member: as if there were no link

        // The gateway decides for itself: a validly signed ticket for someone outside the audience is refused there too.
        var signer = Host.Services.GetRequiredService<DevLinkSigner>();
        foreach (var subject in new[] { "sam", "bob", "REV" })
        {
            var forged = Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EnvForge.Api.Gateway.GatewayOptions>>().Value
                .TicketUrl(link.Id, signer.IssueTicket(link.Id, 1, subject, DateTimeOffset.UtcNow.AddSeconds(60)));
            using var refused = await UseTicketAsync(forged);
            await AssertStatusAsync(refused, HttpStatusCode.Forbidden);
            Assert.Null(GatewayHost.SessionCookie(refused));
        }

        // An admin is in by role.
        var cookie = await SignedInSessionAsync("ada", link);
        await EventuallyAsync(link.Id, cookie, Probe(), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_ticket_opens_only_its_own_link_its_current_token_and_within_its_minute()
    {
        var link = await IssueAsync(OnlyRev);
        var other = await IssueAsync(OnlyRev);

        // For another link's host.
        var url = await TicketUrlAsync("rev", link);
        var elsewhere = url.Replace(GatewayHost.LinkHost(link.Id), GatewayHost.LinkHost(other.Id), StringComparison.Ordinal);
        using (var refused = await UseTicketAsync(elsewhere))
        {
            await AssertStatusAsync(refused, HttpStatusCode.NotFound);
        }

        // Past its minute.
        var late = await TicketUrlAsync("rev", link);
        Host.Clock.Offset = TimeSpan.FromSeconds(61);
        using (var expired = await UseTicketAsync(late))
        {
            await AssertStatusAsync(expired, HttpStatusCode.Unauthorized);
            Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Host.Clock.Offset = TimeSpan.Zero;

        // Issued before a rotation: the link's old generation.
        var beforeRotation = await TicketUrlAsync("rev", link);
        await (await Host.ApiAs("dev").PostAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/rotate", null)).AssertStatusAsync(HttpStatusCode.OK);
        // Once the gateway knows of the rotation (the old token no longer names the link: 404 instead of "sign in")...
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await Host.OpenAsync(link.Id, link.Token)).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < deadline, "the gateway never saw the rotation");
            await Task.Delay(20);
        }

        // ...a ticket issued before it is for the old generation.
        using var stale = await GetUrlAsync(beforeRotation);
        await AssertStatusAsync(stale, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Removing_a_member_stops_their_session_within_a_second()
    {
        await (await Host.ApiAs("olga").PostJsonAsync($"/orgs/{fixture.Org}/members", new { userId = "temp", role = "Viewer" })).AssertStatusAsync(HttpStatusCode.Created);
        var link = await IssueAsync(RevAndTemp);
        var cookie = await SignedInSessionAsync("temp", link);
        await EventuallyAsync(link.Id, cookie, Probe(), HttpStatusCode.OK);

        await AssertRefusedWithinASecondAsync(() => Host.ApiAs("olga").DeleteAsync($"/orgs/{fixture.Org}/members/temp"), link.Id, cookie, HttpStatusCode.Forbidden);
        await (await RequestTicketAsync("temp", link)).AssertStatusAsync(HttpStatusCode.NotFound);

        // The others named are unaffected.
        var rev = await SignedInSessionAsync("rev", link);
        await EventuallyAsync(link.Id, rev, Probe(), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Narrowing_the_audience_or_a_role_change_stops_the_sessions_of_those_left_out_within_a_second()
    {
        var link = await IssueAsync(Viewers);
        var val = await SignedInSessionAsync("val", link);
        var rev = await SignedInSessionAsync("rev", link);
        await EventuallyAsync(link.Id, val, Probe(), HttpStatusCode.OK);
        await EventuallyAsync(link.Id, rev, Probe(), HttpStatusCode.OK);

        await AssertRefusedWithinASecondAsync(
            () => Host.ApiAs("dev").PutAsJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/audience", OnlyRev, Http.Json),
            link.Id, val, HttpStatusCode.Forbidden);
        await EventuallyAsync(link.Id, rev, Probe(), HttpStatusCode.OK);

        // Back to every Viewer: val's session works again; then val stops being a Viewer.
        await (await Host.ApiAs("dev").PutAsJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/audience", Viewers, Http.Json))
            .AssertStatusAsync(HttpStatusCode.OK);
        await EventuallyAsync(link.Id, val, Probe(), HttpStatusCode.OK);
        try
        {
            await AssertRefusedWithinASecondAsync(
                () => Host.ApiAs("olga").PutAsJsonAsync($"/orgs/{fixture.Org}/members/val/role", new { role = "Support" }, Http.Json),
                link.Id, val, HttpStatusCode.Forbidden);
        }
        finally
        {
            await Host.ApiAs("olga").PutAsJsonAsync($"/orgs/{fixture.Org}/members/val/role", new { role = "Viewer" }, Http.Json);
        }
    }

    [Fact]
    public async Task Removing_a_member_or_leaving_them_out_of_the_audience_closes_what_they_have_open_within_a_second()
    {
        await (await Host.ApiAs("olga").PostJsonAsync($"/orgs/{fixture.Org}/members", new { userId = "gone", role = "Viewer" })).AssertStatusAsync(HttpStatusCode.Created);
        var link = await IssueAsync(RevValAndGone);
        var gone = await SignedInSessionAsync("gone", link);
        var val = await SignedInSessionAsync("val", link);
        var rev = await SignedInSessionAsync("rev", link);
        var (goneStream, goneEnded) = await GatewayLiveConnectionTests.OpenLongRequestAsync(Host, link.Id, gone, "/stream");
        var (valStream, valEnded) = await GatewayLiveConnectionTests.OpenLongRequestAsync(Host, link.Id, val, "/stream");
        var (revStream, revEnded) = await GatewayLiveConnectionTests.OpenLongRequestAsync(Host, link.Id, rev, "/stream");

        await (await Host.ApiAs("olga").DeleteAsync($"/orgs/{fixture.Org}/members/gone")).AssertStatusAsync(HttpStatusCode.NoContent);
        await GatewayLiveConnectionTests.AssertEndedWithinAsync(goneEnded, Stopwatch.GetTimestamp(), "a removed member's streamed answer");

        await (await Host.ApiAs("dev").PutAsJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/audience", OnlyRev, Http.Json)).AssertStatusAsync(HttpStatusCode.OK);
        await GatewayLiveConnectionTests.AssertEndedWithinAsync(valEnded, Stopwatch.GetTimestamp(), "the streamed answer of a member left out of the audience");

        Assert.False(revEnded.IsCompleted, "the stream of the member still in the audience was closed");
        await goneStream.DisposeAsync();
        await valStream.DisposeAsync();
        await revStream.DisposeAsync();
    }

    [Fact]
    public async Task Restricting_a_link_stops_its_anonymous_sessions_within_a_second()
    {
        var link = await IssueAsync(null);
        var anonymous = await Host.SessionAsync(link);
        Assert.StartsWith("efs1.", anonymous, StringComparison.Ordinal);
        await EventuallyAsync(link.Id, anonymous, Probe(), HttpStatusCode.OK);

        await AssertRefusedWithinASecondAsync(
            () => Host.ApiAs("dev").PutAsJsonAsync($"/orgs/{fixture.Org}/dev-links/{link.Id}/audience", OnlyRev, Http.Json),
            link.Id, anonymous, HttpStatusCode.Unauthorized);
        var rev = await SignedInSessionAsync("rev", link);
        await EventuallyAsync(link.Id, rev, Probe(), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Tickets_and_signed_in_sessions_are_in_no_log_line_event_or_document()
    {
        var link = await IssueAsync(OnlyRev);
        var url = await TicketUrlAsync("rev", link);
        var ticket = Uri.UnescapeDataString(url[(url.IndexOf("ticket=", StringComparison.Ordinal) + "ticket=".Length)..]);
        string cookie;
        using (var opened = await UseTicketAsync(url))
        {
            cookie = GatewayHost.SessionCookie(opened)!;
        }

        await EventuallyAsync(link.Id, cookie, Probe(), HttpStatusCode.OK);
        using (await GetUrlAsync(url + "x"))
        {
        }

        var secrets = new[] { ticket, ticket.Split('.')[^1], cookie, cookie.Split('.')[^1], link.Token };
        var logs = string.Join("\n", Host.Logs.Lines);
        Assert.NotEmpty(Host.Logs.Lines); // the capture works: the host logs at Trace here
        var stored = await StoredText.EverythingAsync(Host.Store);
        Assert.All(secrets, secret =>
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        });
    }
}
