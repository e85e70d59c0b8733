using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Gateway;
using EnvForge.Domain.Audit;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Organizations;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.DevLinks;

/// <summary>
/// Dev links shared with an audience (named members and roles) through the HTTP API: issuing with one, changing it, and
/// exchanging a link's token, signed in, for a one-use ticket (<c>POST /dev-links/open</c>).
/// </summary>
public sealed class DevLinkAudienceApiTests(PostgresServer postgres) : ApiTestBase(postgres)
{
    private const int PublicPort = 5080;
    private const string Open = "/dev-links/open";
    private readonly RecordingDevLinkWorkflows _recorded = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<IDevLinkWorkflows>(_recorded));
        services.Configure<GatewayOptions>(o => o.PublicPort = PublicPort);
    }

    private sealed record Issued(DevLinkResponse Link, string Url, string Token);

    private DevLinkSigner Signer => Api.Services.GetRequiredService<DevLinkSigner>();

    private static object Shared(string[]? users = null, string[]? roles = null) =>
        new { service = "web", surfaces = new[] { "Web", "Api" }, audience = new { users = users ?? [], roles = roles ?? [] } };

    private static object Audience(string[]? users = null, string[]? roles = null) => new { users = users ?? [], roles = roles ?? [] };

    private static string TokenOf(string url)
    {
        var query = new Uri(url).Query;
        Assert.StartsWith("?token=", query, StringComparison.Ordinal);
        return Uri.UnescapeDataString(query["?token=".Length..]);
    }

    private static string TicketOf(string url)
    {
        var query = new Uri(url).Query;
        Assert.StartsWith("?ticket=", query, StringComparison.Ordinal);
        return Uri.UnescapeDataString(query["?ticket=".Length..]);
    }

    private static string AudienceOf(LinkOrg org, Guid linkId) => $"{org.Links}/{linkId}/audience";

    private async Task<Issued> IssueAsync(LinkOrg org, object? body = null, string? by = null)
    {
        var response = await Api.ClientFor(by ?? org.Developer).PostJsonAsync(org.Issue, body ?? Bodies.Issue("web", "Web", "Api"));
        await response.AssertStatusAsync(HttpStatusCode.Created);
        var issued = await response.ReadAsync<IssuedDevLinkResponse>();
        return new Issued(issued.Link, issued.Url, TokenOf(issued.Url));
    }

    private Task<HttpResponseMessage> OpenAsync(string user, string token) => Api.ClientFor(user).PostJsonAsync(Open, new { token });

    private async Task<OpenDevLinkResponse> OpenedAsync(string user, string token)
    {
        var response = await OpenAsync(user, token);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return await response.ReadAsync<OpenDevLinkResponse>();
    }

    private async Task<long> VersionOfAsync(Guid linkId)
    {
        await using var session = Api.Store.QuerySession();
        return (await session.Events.FetchStreamStateAsync(linkId))?.Version ?? 0;
    }

    private async Task<List<object>> EventsOfAsync(Guid linkId)
    {
        await using var session = Api.Store.QuerySession();
        return [.. (await session.Events.FetchStreamAsync(linkId)).Select(e => e.Data)];
    }

    private async Task<DevLink?> StoredAsync(Guid linkId)
    {
        await using var session = Api.Store.QuerySession();
        return await session.LoadAsync<DevLink>(linkId);
    }

    private static void AssertAudience(DevLinkAudienceResponse? actual, string[] users, Role[] roles)
    {
        Assert.NotNull(actual);
        Assert.Equal(users, actual.Users);
        Assert.Equal(roles, actual.Roles);
    }

    private static void AssertAudience(DevLinkAudience? actual, string[] users, Role[] roles)
    {
        Assert.NotNull(actual);
        Assert.Equal(users, actual.Users);
        Assert.Equal(roles, actual.Roles);
    }

    // --- issue ---

    [Fact]
    public async Task Issuing_with_an_audience_records_it_distinct_and_sorted_on_the_stream_the_snapshot_and_the_response()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");

        var response = await Api.ClientFor(org.Developer).PostJsonAsync(
            org.Issue, Shared([org.Viewer, org.OtherDeveloper, org.Viewer], ["Viewer", "Admin", "Viewer"]));

        await response.AssertStatusAsync(HttpStatusCode.Created);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"roles\":[\"Admin\",\"Viewer\"]", text, StringComparison.Ordinal); // role names, not numbers
        var issued = await response.ReadAsync<IssuedDevLinkResponse>();
        string[] users = [org.OtherDeveloper, org.Viewer]; // "acme-dev2" < "acme-viewer"
        Role[] roles = [Role.Admin, Role.Viewer];
        AssertAudience(issued.Link.Audience, users, roles);

        var recorded = Assert.IsType<DevLinkIssued>(Assert.Single(await EventsOfAsync(issued.Link.Id)));
        AssertAudience(recorded.Audience, users, roles);
        AssertAudience((await StoredAsync(issued.Link.Id))!.Audience, users, roles);
        var read = await (await Api.ClientFor(org.Viewer).GetAsync($"{org.Links}/{issued.Link.Id}")).ReadAsync<DevLinkResponse>();
        AssertAudience(read.Audience, users, roles);
        var listed = await (await Api.ClientFor(org.Viewer).GetAsync(org.Links)).ReadAsync<DevLinkPage>();
        AssertAudience(Assert.Single(listed.Items).Audience, users, roles);
        Assert.Single(_recorded.DevLinkExpiries);
    }

    [Fact]
    public async Task Issuing_without_an_audience_or_with_an_empty_one_is_for_anyone_with_the_link()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");

        foreach (var body in new[] { Bodies.Issue("web", "Web"), Shared(), new { service = "web", surfaces = new[] { "Web" }, audience = new { } } })
        {
            var issued = await IssueAsync(org, body);
            Assert.Null(issued.Link.Audience);
            Assert.Null(Assert.IsType<DevLinkIssued>(Assert.Single(await EventsOfAsync(issued.Link.Id))).Audience);
            Assert.Null((await StoredAsync(issued.Link.Id))!.Audience);
        }
    }

    [Fact]
    public async Task Naming_someone_who_is_not_a_member_is_422_and_appends_nothing()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var events = await StoredText.EventCountAsync(Api.Store);
        var dev = Api.ClientFor(org.Developer);

        foreach (var stranger in new[] { "stranger", other.Developer, "ACME-DEV2" })
        {
            var problem = await (await dev.PostJsonAsync(org.Issue, Shared([org.OtherDeveloper, stranger], ["Developer"])))
                .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.audience_user_not_member");
            Assert.Contains($"'{stranger}'", (string?)problem["detail"], StringComparison.Ordinal);
        }

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Empty(_recorded.DevLinkExpiries);
        var listed = await (await dev.GetAsync(org.Links)).ReadAsync<DevLinkPage>();
        Assert.Empty(listed.Items);
    }

    public static TheoryData<string, string> BadAudiences => new()
    {
        { """{"roles":["Overlord"]}""", "validation" },
        { """{"roles":["Owner,Admin"]}""", "validation" },
        { """{"roles":["1"]}""", "validation" },
        { """{"roles":["developer"]}""", "validation" },
        { """{"roles":[null]}""", "validation" },
        { """{"roles":[2]}""", "malformed_request" },
        { """{"users":[""]}""", "validation" },
        { """{"users":["   "]}""", "validation" },
        { """{"users":[null]}""", "validation" },
        { $$"""{"users":["{{new string('u', 201)}}"]}""", "validation" },
        { $$"""{"users":[{{string.Join(",", Enumerable.Range(1, 51).Select(i => $"\"user-{i}\""))}}]}""", "validation" },
        { """{"users":"acme-dev2"}""", "malformed_request" },
        { """{"users":[],"groups":["Developer"]}""", "malformed_request" },
    };

    [Theory]
    [MemberData(nameof(BadAudiences))]
    public async Task A_malformed_audience_is_400_on_issue_and_on_change_and_appends_nothing(string audience, string code)
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var events = await StoredText.EventCountAsync(Api.Store);
        var dev = Api.ClientFor(org.Developer);

        await (await dev.PostRawAsync(org.Issue, $$"""{"service":"web","surfaces":["Web"],"audience":{{audience}}}"""))
            .AssertProblemAsync(HttpStatusCode.BadRequest, code);
        await (await dev.PutAsync(AudienceOf(org, link), new StringContent(audience, Encoding.UTF8, "application/json")))
            .AssertProblemAsync(HttpStatusCode.BadRequest, code);

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Single(_recorded.DevLinkExpiries); // only the first, valid link's
        Assert.Null((await StoredAsync(link))!.Audience);
    }

    // --- change the audience ---

    [Fact]
    public async Task The_issuer_changes_the_audience_the_same_one_again_changes_nothing_and_an_empty_one_opens_it_to_anyone()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var path = AudienceOf(org, link);
        var dev = Api.ClientFor(org.Developer);
        var before = DateTimeOffset.UtcNow;

        var changed = await dev.PutAsJsonAsync(path, Audience([org.Viewer, org.OtherDeveloper], ["Auditor", "Admin"]));

        await changed.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", changed.Headers.ETag?.Tag);
        string[] users = [org.OtherDeveloper, org.Viewer];
        Role[] roles = [Role.Admin, Role.Auditor];
        AssertAudience((await changed.ReadAsync<DevLinkResponse>()).Audience, users, roles);
        var events = await EventsOfAsync(link);
        Assert.Equal(2, events.Count);
        var recorded = Assert.IsType<DevLinkAudienceChanged>(events[1]);
        Assert.Equal((link, org.Id, org.Developer), (recorded.LinkId, recorded.OrgId, recorded.Actor));
        Assert.InRange(recorded.At, before, DateTimeOffset.UtcNow);
        AssertAudience(recorded.Audience, users, roles);
        AssertAudience((await (await Api.ClientFor(org.Viewer).GetAsync($"{org.Links}/{link}")).ReadAsync<DevLinkResponse>()).Audience, users, roles);

        // The same audience, in another order and with repeats: nothing is recorded.
        var again = await dev.PutAsJsonAsync(path, Audience([org.Viewer, org.OtherDeveloper, org.Viewer], ["Admin", "Auditor", "Admin"]));
        await again.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", again.Headers.ETag?.Tag);
        AssertAudience((await again.ReadAsync<DevLinkResponse>()).Audience, users, roles);
        Assert.Equal(2, await VersionOfAsync(link));

        // Naming nobody: anyone with the link again.
        var cleared = await dev.PutAsJsonAsync(path, Audience());
        await cleared.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"3\"", cleared.Headers.ETag?.Tag);
        Assert.Null((await cleared.ReadAsync<DevLinkResponse>()).Audience);
        var last = Assert.IsType<DevLinkAudienceChanged>((await EventsOfAsync(link))[2]);
        Assert.Null(last.Audience);
        Assert.Null((await StoredAsync(link))!.Audience);

        // And absent lists are the same as empty ones: nothing more.
        await (await dev.PutAsJsonAsync(path, new { })).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, await VersionOfAsync(link));
    }

    [Fact]
    public async Task Only_the_issuer_an_admin_or_an_owner_changes_the_audience_and_other_orgs_see_no_link()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var link = (await IssueAsync(org)).Link.Id;
        var path = AudienceOf(org, link);
        var body = Audience([org.Viewer]);

        foreach (var user in new[] { org.OtherDeveloper, org.Viewer, org.Auditor })
        {
            await (await Api.ClientFor(user).PutAsJsonAsync(path, body)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_allowed");
        }

        foreach (var user in new[] { "stranger", other.Admin, other.Owner })
        {
            await (await Api.ClientFor(user).PutAsJsonAsync(path, body)).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        }

        // Through their own org, the link does not exist.
        await (await Api.ClientFor(other.Admin).PutAsJsonAsync(AudienceOf(other, link), Audience([other.Viewer])))
            .AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        await (await Api.ClientFor(org.Admin).PutAsJsonAsync(AudienceOf(org, Guid.CreateVersion7()), body))
            .AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        await (await Api.WithToken(null).PutAsJsonAsync(path, body)).AssertStatusAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(1, await VersionOfAsync(link));
        Assert.Null((await StoredAsync(link))!.Audience);

        await (await Api.ClientFor(org.Admin).PutAsJsonAsync(path, body)).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor(org.Owner).PutAsJsonAsync(path, Audience(roles: ["Viewer"]))).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, await VersionOfAsync(link));
        Assert.Equal(
            [org.Admin, org.Owner],
            (await EventsOfAsync(link)).Skip(1).Select(e => Assert.IsType<DevLinkAudienceChanged>(e).Actor));
    }

    [Fact]
    public async Task Changing_to_a_non_member_is_422_and_on_an_ended_link_409_and_neither_appends()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var link = (await IssueAsync(org, Shared([org.Viewer]))).Link.Id;
        var path = AudienceOf(org, link);
        var dev = Api.ClientFor(org.Developer);

        await (await dev.PutAsJsonAsync(path, Audience([org.Viewer, other.Viewer])))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.audience_user_not_member");
        Assert.Equal(1, await VersionOfAsync(link));
        AssertAudience((await StoredAsync(link))!.Audience, [org.Viewer], []);

        await (await dev.PostJsonAsync($"{org.Links}/{link}/revoke", new { })).AssertStatusAsync(HttpStatusCode.OK);
        foreach (var body in new[] { Audience([org.OtherDeveloper]), Audience(), Audience([org.Viewer]) })
        {
            await (await dev.PutAsJsonAsync(path, body)).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");
        }

        Assert.Equal(2, await VersionOfAsync(link));
        AssertAudience((await StoredAsync(link))!.Audience, [org.Viewer], []);
    }

    [Fact]
    public async Task A_stale_if_match_on_the_audience_is_412_and_a_current_one_is_honoured()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var link = (await IssueAsync(org)).Link.Id;
        var dev = Api.ClientFor(org.Developer);

        var stale = new HttpRequestMessage(HttpMethod.Put, AudienceOf(org, link)) { Content = JsonContent.Create(Audience([org.Viewer])) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));
        await (await dev.SendAsync(stale)).AssertProblemAsync(HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(1, await VersionOfAsync(link));
        Assert.Null((await StoredAsync(link))!.Audience);

        var current = new HttpRequestMessage(HttpMethod.Put, AudienceOf(org, link)) { Content = JsonContent.Create(Audience([org.Viewer])) };
        current.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        var response = await dev.SendAsync(current);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        AssertAudience((await StoredAsync(link))!.Audience, [org.Viewer], []);
    }

    // --- open, signed in ---

    [Fact]
    public async Task A_member_named_in_the_audience_gets_a_one_minute_ticket_url_for_the_link_and_nothing_is_stored()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper]));
        await Api.CatchUpAsync();
        var events = await StoredText.EventCountAsync(Api.Store);
        var before = DateTimeOffset.UtcNow;

        var opened = await OpenedAsync(org.OtherDeveloper, issued.Token);

        var after = DateTimeOffset.UtcNow;
        Assert.Equal(issued.Link.Id, opened.LinkId);
        Assert.StartsWith($"http://{issued.Link.Id:N}.links.localhost:{PublicPort}/__envforge/open?ticket=eft1.{issued.Link.Id:N}.1.", opened.Url, StringComparison.Ordinal);
        Assert.StartsWith($"{issued.Link.Origin}/__envforge/open?ticket=eft1.", opened.Url, StringComparison.Ordinal);
        Assert.InRange(opened.ExpiresAt, before.AddSeconds(59), after.AddSeconds(61));

        var ticket = TicketOf(opened.Url);
        Assert.True(Signer.TryReadTicket(ticket, out var signed));
        Assert.Equal((issued.Link.Id, 1, org.OtherDeveloper), (signed.LinkId, signed.Generation, signed.Subject));
        Assert.Equal(opened.ExpiresAt.ToUnixTimeSeconds(), signed.SessionExpiresAt!.Value.ToUnixTimeSeconds());
        Assert.False(Signer.TryReadToken(ticket, out _)); // a ticket is no link token
        Assert.False(Signer.TryReadTicket(issued.Token, out _));

        // Each opening is a fresh ticket (its own nonce).
        var second = TicketOf((await OpenedAsync(org.OtherDeveloper, issued.Token)).Url);
        Assert.NotEqual(ticket, second);

        // Opening records nothing, and the ticket is stored nowhere.
        await Api.CatchUpAsync();
        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
        Assert.Equal(1, await VersionOfAsync(issued.Link.Id));
        var stored = await StoredText.EverythingAsync(Api.Store);
        foreach (var secret in new[] { ticket, second, ticket.Split('.')[^1], ticket.Split('.')[5], second.Split('.')[5], opened.Url })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Members_allowed_by_name_or_role_get_a_ticket_and_other_members_are_403()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper], ["Viewer"]));
        var events = await StoredText.EventCountAsync(Api.Store);

        Assert.Equal(issued.Link.Id, (await OpenedAsync(org.OtherDeveloper, issued.Token)).LinkId);
        var byRole = await OpenedAsync(org.Viewer, issued.Token);
        Assert.True(Signer.TryReadTicket(TicketOf(byRole.Url), out var signed));
        Assert.Equal(org.Viewer, signed.Subject);

        foreach (var user in new[] { org.Admin, org.Auditor, org.Owner })
        {
            var problem = await (await OpenAsync(user, issued.Token)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_shared_with_you");
            Assert.DoesNotContain("eft1", problem.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
    }

    [Fact]
    public async Task A_link_without_an_audience_opens_for_any_member_and_for_nobody_outside_the_org()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var issued = await IssueAsync(org);
        var events = await StoredText.EventCountAsync(Api.Store);

        foreach (var user in new[] { org.Owner, org.Admin, org.Developer, org.OtherDeveloper, org.Viewer, org.Auditor })
        {
            var opened = await OpenedAsync(user, issued.Token);
            Assert.True(Signer.TryReadTicket(TicketOf(opened.Url), out var signed));
            Assert.Equal((issued.Link.Id, user), (signed.LinkId, signed.Subject));
        }

        foreach (var user in new[] { "stranger", other.Owner, other.Developer })
        {
            await (await OpenAsync(user, issued.Token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        }

        Assert.Equal(events, await StoredText.EventCountAsync(Api.Store));
    }

    [Fact]
    public async Task Someone_outside_the_org_gets_the_same_404_as_a_bad_token_even_when_the_link_is_named_or_ended()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var other = await LinkOrg.CreateAsync(Api, "globex");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper], ["Owner"]));

        var answers = new List<string>();
        foreach (var user in new[] { "stranger", other.Owner, other.OtherDeveloper })
        {
            var response = await OpenAsync(user, issued.Token);
            var problem = await response.AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
            answers.Add(problem.ToJsonString());
        }

        var unknown = await OpenAsync(org.OtherDeveloper, Signer.IssueToken(Guid.CreateVersion7(), 1).Token);
        answers.Add((await unknown.AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found")).ToJsonString());
        Assert.Single(answers.Select(a => JsonNode.Parse(a)!.AsObject()).Select(p => ((string?)p["title"], (string?)p["detail"])).Distinct());

        // Revoked: members learn it ended; outsiders still learn nothing.
        await (await Api.ClientFor(org.Developer).PostJsonAsync($"{org.Links}/{issued.Link.Id}/revoke", new { })).AssertStatusAsync(HttpStatusCode.OK);
        await (await OpenAsync("stranger", issued.Token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        await (await OpenAsync(org.OtherDeveloper, issued.Token)).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");
    }

    [Fact]
    public async Task A_tampered_token_an_unknown_link_and_a_rotated_token_are_404()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper]));
        var parts = issued.Token.Split('.');
        var mac = parts[5];
        parts[5] = (mac[0] == 'A' ? 'B' : 'A') + mac[1..];
        var tampered = string.Join('.', parts);
        Assert.NotEqual(issued.Token, tampered);
        var user = org.OtherDeveloper;

        foreach (var token in new[] { tampered, issued.Token[..^1], issued.Token + "A", "efl1.nope", Signer.IssueToken(Guid.CreateVersion7(), 1).Token, Signer.IssueToken(issued.Link.Id, 1).Token, Signer.IssueToken(issued.Link.Id, 2).Token })
        {
            await (await OpenAsync(user, token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        }

        var rotated = await Api.ClientFor(org.Developer).PostAsync($"{org.Links}/{issued.Link.Id}/rotate", null);
        await rotated.AssertStatusAsync(HttpStatusCode.OK);
        var fresh = TokenOf((await rotated.ReadAsync<IssuedDevLinkResponse>()).Url);

        await (await OpenAsync(user, issued.Token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        var opened = await OpenedAsync(user, fresh);
        Assert.StartsWith($"{issued.Link.Origin}/__envforge/open?ticket=eft1.{issued.Link.Id:N}.2.", opened.Url, StringComparison.Ordinal);
        Assert.True(Signer.TryReadTicket(TicketOf(opened.Url), out var signed));
        Assert.Equal(2, signed.Generation);
    }

    [Fact]
    public async Task A_revoked_or_expired_link_is_409_for_members_in_its_audience()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var revoked = await IssueAsync(org, Shared([org.OtherDeveloper]));
        await (await Api.ClientFor(org.Admin).PostJsonAsync($"{org.Links}/{revoked.Link.Id}/revoke", new { })).AssertStatusAsync(HttpStatusCode.OK);

        await (await OpenAsync(org.OtherDeveloper, revoked.Token)).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");

        // Past its expiry (its timer has not fired yet): ended all the same.
        var expired = Guid.CreateVersion7();
        var (token, hash) = Signer.IssueToken(expired, 1);
        var now = DateTimeOffset.UtcNow;
        await using (var session = Api.Store.LightweightSession())
        {
            session.Events.StartStream<DevLink>(expired, new DevLinkIssued(
                expired, org.Id, org.WorkspaceId, "web", org.Developer, now.AddMinutes(-1), [DevLinkSurface.Web], Signer.CurrentKeyId, hash,
                org.Developer, now.AddHours(-1), new DevLinkAudience([org.OtherDeveloper], [])));
            await session.SaveChangesAsync();
        }

        await (await OpenAsync(org.OtherDeveloper, token)).AssertProblemAsync(HttpStatusCode.Conflict, "dev_link.ended");
        await (await OpenAsync("stranger", token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
    }

    [Fact]
    public async Task Opening_needs_a_bearer_token_and_a_well_formed_body()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper]));
        var user = Api.ClientFor(org.OtherDeveloper);

        await (await Api.WithToken(null).PostJsonAsync(Open, new { token = issued.Token })).AssertStatusAsync(HttpStatusCode.Unauthorized);
        await (await Api.WithToken("not-a-jwt").PostJsonAsync(Open, new { token = issued.Token })).AssertStatusAsync(HttpStatusCode.Unauthorized);
        foreach (var (body, code) in new[]
        {
            ("{}", "validation"),
            ("""{"token":""}""", "validation"),
            ("""{"token":null}""", "validation"),
            ($$"""{"token":"{{new string('x', 257)}}"}""", "validation"),
            ("""{"token":1}""", "malformed_request"),
            ($$"""{"token":"{{issued.Token}}","linkId":"x"}""", "malformed_request"),
            ("not json", "malformed_request"),
        })
        {
            await (await user.PostRawAsync(Open, body)).AssertProblemAsync(HttpStatusCode.BadRequest, code);
        }

        // The well-formed request from the same client works.
        await (await user.PostJsonAsync(Open, new { token = issued.Token })).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Changing_the_audience_changes_who_gets_a_ticket_at_once()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper]));
        await OpenedAsync(org.OtherDeveloper, issued.Token);
        await (await OpenAsync(org.Viewer, issued.Token)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_shared_with_you");

        var path = AudienceOf(org, issued.Link.Id);
        await (await Api.ClientFor(org.Developer).PutAsJsonAsync(path, Audience(roles: ["Viewer"]))).AssertStatusAsync(HttpStatusCode.OK);

        await OpenedAsync(org.Viewer, issued.Token);
        await (await OpenAsync(org.OtherDeveloper, issued.Token)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_shared_with_you");

        await (await Api.ClientFor(org.Developer).PutAsJsonAsync(path, Audience())).AssertStatusAsync(HttpStatusCode.OK);
        await OpenedAsync(org.OtherDeveloper, issued.Token);
        await OpenedAsync(org.Auditor, issued.Token);
    }

    [Fact]
    public async Task A_removed_member_gets_no_ticket_and_a_member_whose_role_changed_loses_what_the_role_gave()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var named = await IssueAsync(org, Shared([org.OtherDeveloper], ["Viewer"]));
        var open = await IssueAsync(org);
        await OpenedAsync(org.OtherDeveloper, named.Token);
        await OpenedAsync(org.OtherDeveloper, open.Token);
        await OpenedAsync(org.Viewer, named.Token);
        var owner = Api.ClientFor(org.Owner);

        await (await owner.DeleteAsync($"/orgs/{org.Id}/members/{org.OtherDeveloper}")).AssertStatusAsync(HttpStatusCode.NoContent);

        await (await OpenAsync(org.OtherDeveloper, named.Token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");
        await (await OpenAsync(org.OtherDeveloper, open.Token)).AssertProblemAsync(HttpStatusCode.NotFound, "dev_link.not_found");

        // The audience still names them, but they are no member: naming it again is refused.
        AssertAudience((await StoredAsync(named.Link.Id))!.Audience, [org.OtherDeveloper], [Role.Viewer]);
        await (await Api.ClientFor(org.Developer).PutAsJsonAsync(AudienceOf(org, named.Link.Id), Audience([org.OtherDeveloper], ["Viewer", "Auditor"])))
            .AssertProblemAsync(HttpStatusCode.UnprocessableEntity, "dev_link.audience_user_not_member");

        await (await owner.PutAsJsonAsync($"/orgs/{org.Id}/members/{org.Viewer}/role", new { role = "Auditor" })).AssertStatusAsync(HttpStatusCode.OK);
        await (await OpenAsync(org.Viewer, named.Token)).AssertProblemAsync(HttpStatusCode.Forbidden, "dev_link.not_shared_with_you");
        await OpenedAsync(org.Viewer, open.Token);
    }

    // --- audit ---

    [Fact]
    public async Task The_audience_is_on_the_audit_trail_when_issued_and_when_changed()
    {
        var org = await LinkOrg.CreateAsync(Api, "acme");
        var issued = await IssueAsync(org, Shared([org.OtherDeveloper], ["Viewer"]));
        var path = AudienceOf(org, issued.Link.Id);
        await (await Api.ClientFor(org.Admin).PutAsJsonAsync(path, Audience([org.Viewer, org.Auditor], ["Admin"]))).AssertStatusAsync(HttpStatusCode.OK);
        await (await Api.ClientFor(org.Developer).PutAsJsonAsync(path, Audience())).AssertStatusAsync(HttpStatusCode.OK);
        await OpenedAsync(org.Viewer, issued.Token);
        await Api.CatchUpAsync();

        var response = await Api.ClientFor(org.Auditor).GetAsync($"/orgs/{org.Id}/audit?streamId={issued.Link.Id}");

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var trail = await response.ReadAsync<Page<AuditEntry>>();
        Assert.Equal(["dev_link.issued", "dev_link.audience_changed", "dev_link.audience_changed"], trail.Items.Select(e => e.Action));
        Assert.Equal([org.Developer, org.Admin, org.Developer], trail.Items.Select(e => e.Actor));
        Assert.EndsWith($", for {org.OtherDeveloper}, every Viewer", trail.Items[0].Summary, StringComparison.Ordinal);
        Assert.Equal($"shared the dev link with {org.Auditor}, {org.Viewer}, every Admin", trail.Items[1].Summary);
        Assert.Equal("shared the dev link with anyone with the link", trail.Items[2].Summary);
        Assert.DoesNotContain("eft1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
