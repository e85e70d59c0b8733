using System.Net;
using EnvForge.Api.Sessions;
using EnvForge.Domain.Sessions;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Auth;

/// <summary>Refresh tokens rotate on every use; a reused one revokes its whole session; revoking a session stops it everywhere.</summary>
public sealed class SessionTests(PostgresServer postgres) : AuthTestBase(postgres)
{
    [Fact]
    public async Task A_refresh_token_rotates_on_every_use()
    {
        var first = await OwnerAsync();
        using var cli = Host.Oidc();

        var second = await cli.RefreshAsync(first.RefreshToken!);
        var third = await cli.RefreshAsync(second.RefreshToken!);

        Assert.True(third.Succeeded, $"{third.Error}: {third.Description}");
        Assert.Equal(3, new[] { first.RefreshToken, second.RefreshToken, third.RefreshToken }.Distinct().Count());
        Assert.Equal(first.Access.GetClaim("sid").Value, third.Access.GetClaim("sid").Value);
        var sessionId = Guid.Parse(first.Access.GetClaim("sid").Value);
        await using var query = Host.Store.QuerySession();
        var session = await query.LoadAsync<Session>(sessionId);
        Assert.Equal(3, session!.Generation);
        var events = await query.Events.FetchStreamAsync(sessionId);
        Assert.Equal(["session.started.v1", "session.refreshed.v1", "session.refreshed.v1"], events.Select(e => e.EventTypeName));
        await (await Host.Api(first.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK); // rotation revokes nothing
    }

    [Fact]
    public async Task A_reused_refresh_token_revokes_the_whole_family_and_is_audited()
    {
        var first = await OwnerAsync();
        using var cli = Host.Oidc();
        var second = await cli.RefreshAsync(first.RefreshToken!);
        Assert.True(second.Succeeded);

        var replayed = await cli.RefreshAsync(first.RefreshToken!);

        Assert.Equal("invalid_grant", replayed.Error);
        Assert.Equal("invalid_grant", (await cli.RefreshAsync(second.RefreshToken!)).Error); // the legitimate holder's too
        foreach (var token in new[] { first.AccessToken, second.AccessToken })
        {
            var refused = await Host.Api(token).GetAsync("/orgs");
            await refused.AssertProblemAsync(HttpStatusCode.Unauthorized, "session_revoked");
        }

        var sessionId = Guid.Parse(first.Access.GetClaim("sid").Value);
        await using var query = Host.Store.QuerySession();
        var events = await query.Events.FetchStreamAsync(sessionId);
        Assert.Equal(
            ["session.started.v1", "session.refreshed.v1", "session.refresh_token_reused.v1", "session.revoked.v1"],
            events.Select(e => e.EventTypeName));
        var revoked = Assert.IsType<SessionRevoked>(events[^1].Data);
        Assert.Equal(SessionEndReason.RefreshTokenReuse, revoked.Reason);
        var reused = Assert.IsType<SessionRefreshTokenReused>(events[^2].Data);
        Assert.Equal((1, 2), (reused.PresentedGeneration, reused.CurrentGeneration));
    }

    [Fact]
    public async Task Concurrent_refreshes_with_one_token_let_one_through_and_revoke_the_family()
    {
        var first = await OwnerAsync();
        using var cli = Host.Oidc();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => cli.RefreshAsync(first.RefreshToken!)));

        Assert.True(answers.Count(a => a.Succeeded) <= 1, "at most one exchange of one refresh token succeeds");
        Assert.Contains(answers, a => a.Error == "invalid_grant");
        var sessionId = Guid.Parse(first.Access.GetClaim("sid").Value);
        await using var query = Host.Store.QuerySession();
        Assert.True((await query.LoadAsync<Session>(sessionId))!.IsRevoked);
    }

    [Fact]
    public async Task Signing_out_stops_refresh_at_once_and_access_tokens_within_a_second()
    {
        var laptop = await UserAsync("frank");
        var phone = await DeviceSignInAsync("frank", "frank-password-1");
        var phoneSession = Guid.Parse(phone.Access.GetClaim("sid").Value);

        // From the laptop, frank revokes the phone's session (a lost phone).
        var revoke = await Host.Api(laptop.AccessToken).PostAsync($"/sessions/{phoneSession}/revoke", null);
        var revoked = await revoke.ReadAsync<SessionResponse>();
        Assert.Equal((SessionEndReason.RevokedByOwner, "frank"), (revoked.EndReason, revoked.RevokedBy));

        using var cli = Host.Oidc();
        Assert.Equal("invalid_grant", (await cli.RefreshAsync(phone.RefreshToken!)).Error);
        await (await Host.Api(phone.AccessToken).GetAsync("/me")).AssertProblemAsync(HttpStatusCode.Unauthorized, "session_revoked");
        await (await Host.Api(laptop.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK);

        // Then signs out on the laptop: its own session.
        var signOut = await (await Host.Api(laptop.AccessToken).PostAsync($"/sessions/{laptop.Access.GetClaim("sid").Value}/revoke", null)).ReadAsync<SessionResponse>();
        Assert.Equal(SessionEndReason.SignedOut, signOut.EndReason);
        await (await Host.Api(laptop.AccessToken).GetAsync("/me")).AssertProblemAsync(HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task Another_replica_refuses_a_revoked_session_within_a_second()
    {
        var tokens = await UserAsync("gina");
        var sessionId = Guid.Parse(tokens.Access.GetClaim("sid").Value);

        // Revoked straight in the store, as another replica's request would: this replica learns of it from its feed.
        await using (var write = Host.Store.LightweightSession())
        {
            write.Events.Append(sessionId, new SessionRevoked(sessionId, "gina", SessionEndReason.RevokedByOwner, "gina", DateTimeOffset.UtcNow));
            await write.SaveChangesAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(1);
        while ((await Host.Api(tokens.AccessToken).GetAsync("/me")).StatusCode == HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "a revoked session still reached the API after a second");
            await Task.Delay(25);
        }
    }

    [Fact]
    public async Task Org_admins_list_and_revoke_their_members_sessions_and_nobody_elses()
    {
        var owner = await OwnerAsync();
        var henry = await UserAsync("henry");
        var ivy = await UserAsync("ivy");
        var owners = Host.Api(owner.AccessToken);
        var org = (await (await owners.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<System.Text.Json.Nodes.JsonObject>())["id"]!.GetValue<Guid>();
        await (await owners.PostJsonAsync($"/orgs/{org}/members", new { userId = "henry", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
        var henrySession = Guid.Parse(henry.Access.GetClaim("sid").Value);
        var ivySession = Guid.Parse(ivy.Access.GetClaim("sid").Value);

        var listed = await (await owners.GetAsync($"/orgs/{org}/sessions")).ReadAsync<List<SessionResponse>>();
        Assert.Contains(listed, s => s.Id == henrySession);
        Assert.DoesNotContain(listed, s => s.Id == ivySession); // not a member

        await (await owners.PostAsync($"/orgs/{org}/sessions/{ivySession}/revoke", null)).AssertProblemAsync(HttpStatusCode.NotFound, "session.not_found");
        await (await Host.Api(henry.AccessToken).GetAsync($"/orgs/{org}/sessions")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Host.Api(ivy.AccessToken).PostAsync($"/sessions/{henrySession}/revoke", null)).AssertProblemAsync(HttpStatusCode.NotFound, "session.not_found");

        var revoked = await (await owners.PostAsync($"/orgs/{org}/sessions/{henrySession}/revoke", null)).ReadAsync<SessionResponse>();
        Assert.Equal((SessionEndReason.RevokedByAdmin, "admin"), (revoked.EndReason, revoked.RevokedBy));
        await (await Host.Api(henry.AccessToken).GetAsync("/me")).AssertProblemAsync(HttpStatusCode.Unauthorized, "session_revoked");
        await (await Host.Api(ivy.AccessToken).GetAsync("/me")).AssertStatusAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_removed_member_loses_the_org_at_once_whatever_their_tokens()
    {
        var owner = await OwnerAsync();
        var jack = await UserAsync("jack");
        var owners = Host.Api(owner.AccessToken);
        var org = (await (await owners.PostJsonAsync("/orgs", new { name = "Acme" })).ReadAsync<System.Text.Json.Nodes.JsonObject>())["id"]!.GetValue<Guid>();
        await (await owners.PostJsonAsync($"/orgs/{org}/members", new { userId = "jack", role = "Developer" })).AssertStatusAsync(HttpStatusCode.Created);
        await (await Host.Api(jack.AccessToken).GetAsync($"/orgs/{org}")).AssertStatusAsync(HttpStatusCode.OK);

        await (await owners.DeleteAsync($"/orgs/{org}/members/jack")).AssertStatusAsync(HttpStatusCode.NoContent);

        await (await Host.Api(jack.AccessToken).GetAsync($"/orgs/{org}")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        using var cli = Host.Oidc();
        var refreshed = await cli.RefreshAsync(jack.RefreshToken!);
        await (await Host.Api(refreshed.AccessToken).GetAsync($"/orgs/{org}")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
    }
}
