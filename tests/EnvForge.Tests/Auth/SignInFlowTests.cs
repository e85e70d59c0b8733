using System.Net;
using System.Web;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Api.Sessions;
using EnvForge.Domain.Audit;
using EnvForge.Domain.Sessions;
using EnvForge.Projections.Audit;
using EnvForge.Tests.DevLinks;
using EnvForge.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Tests.Auth;

/// <summary>The embedded provider's flows over real HTTP, and the API accepting what it issues the way it accepts Auth0's tokens.</summary>
public sealed class SignInFlowTests(PostgresServer postgres) : AuthTestBase(postgres)
{
    [Fact]
    public async Task Device_flow_signs_the_first_owner_in_and_the_API_accepts_the_token()
    {
        var tokens = await OwnerAsync();

        var access = tokens.Access;
        Assert.Equal(Host.BaseAddress.AbsoluteUri, access.Issuer);
        Assert.Equal(["envforge-api"], access.Audiences);
        Assert.Equal("admin", access.Subject);
        Assert.Equal("RS256", access.Alg);
        Assert.InRange((access.ValidTo - access.IssuedAt).TotalSeconds, 899, 900);
        Assert.InRange(tokens.ExpiresIn ?? 0, 899, 900);
        Assert.NotNull(tokens.RefreshToken);
        Assert.NotNull(tokens.IdToken);
        Assert.False(access.TryGetClaim("ef_gen", out _), "the refresh generation stays out of access tokens");

        var me = await (await Host.Api(tokens.AccessToken).GetAsync("/me")).ReadAsync<WhoAmIResponse>();
        Assert.Equal("admin", me.Subject);
        Assert.NotNull(me.SessionId);
        var sessions = await (await Host.Api(tokens.AccessToken).GetAsync("/sessions")).ReadAsync<List<SessionResponse>>();
        var session = Assert.Single(sessions);
        Assert.Equal((me.SessionId!.Value, "envforge-cli", "device_code", true), (session.Id, session.ClientId, session.Flow, session.Current));
        Assert.Equal("127.0.0.1", session.CreatedFrom);

        var created = await Host.Api(tokens.AccessToken).PostJsonAsync("/orgs", new { name = "Acme" });
        await created.AssertStatusAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_one_time_password_must_be_replaced_and_then_stops_working()
    {
        var oneTime = await CreateUserAsync("dora");
        await DeviceSignInAsync("dora", oneTime, "dora-own-password");

        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();
        using var browser = Host.Browser();
        var login = await browser.FollowAsync(await browser.GetAsync(device.VerificationUriComplete));
        var refused = await browser.SubmitAsync(login, new Dictionary<string, string> { ["userName"] = "dora", ["password"] = oneTime });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("Wrong user name or password", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("authorization_pending", (await cli.PollDeviceAsync(device.DeviceCode)).Error);
    }

    [Fact]
    public async Task Wrong_password_is_refused_and_starts_nothing()
    {
        await OwnerAsync();
        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();
        using var browser = Host.Browser();
        var login = await browser.FollowAsync(await browser.GetAsync(device.VerificationUriComplete));
        Assert.Equal("/auth/login", login.RequestMessage!.RequestUri!.AbsolutePath);

        var refused = await browser.SubmitAsync(login, new Dictionary<string, string> { ["userName"] = "admin", ["password"] = "not-the-password-at-all" });

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("authorization_pending", (await cli.PollDeviceAsync(device.DeviceCode)).Error);
        Assert.Contains(Host.Logs.Lines, l => l.Contains("Sign-in refused for admin", StringComparison.Ordinal));
        await using var session = Host.Store.QuerySession();
        Assert.Equal(1, await session.Query<Session>().CountAsync()); // the owner's own sign-in only

        // On the platform's audit trail: counted per reason and window, never the user name or the password typed.
        await Host.Services.GetRequiredService<RefusalRecorder>().FlushAsync(CancellationToken.None);
        var recorded = (await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName == "audit.sign_in_refused.v1").ToListAsync())
            .Select(e => e.Data).OfType<SignInRefused>().ToList();
        Assert.Equal([("wrong_credentials", 1, Guid.Empty)], recorded.Select(r => (r.Reason, r.Count, r.OrgId)));
        var stored = await StoredText.EverythingAsync(Host.Store);
        Assert.DoesNotContain("not-the-password-at-all", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_denied_device_gets_access_denied()
    {
        var password = await CreateUserAsync("erin");
        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();
        using var browser = Host.Browser();

        await browser.ApproveDeviceAsync(device.VerificationUriComplete, "erin", password, "erin-password-1", approve: false);

        Assert.Equal("access_denied", (await cli.PollDeviceAsync(device.DeviceCode)).Error);
    }

    [Fact]
    public async Task An_expired_device_code_is_refused()
    {
        await OwnerAsync();
        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();

        Host.Clock.Offset = TimeSpan.FromMinutes(11);
        var answer = await cli.PollDeviceAsync(device.DeviceCode);

        Assert.Equal("expired_token", answer.Error);
        using var browser = Host.Browser();
        var page = await browser.FollowAsync(await browser.GetAsync(device.VerificationUriComplete));
        Assert.Equal("/auth/login", page.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Code_flow_with_PKCE_signs_a_browser_in()
    {
        await OwnerAsync();
        var redirect = new Uri(Host.BaseAddress, "auth/callback").AbsoluteUri;
        var (verifier, challenge) = OidcClient.Pkce();
        using var browser = Host.Browser();

        var login = await browser.FollowAsync(await browser.GetAsync(OidcClient.AuthorizeUrl(EmbeddedProvider.WebClientId, redirect, challenge, "st-1")));
        Assert.Equal("/auth/login", login.RequestMessage!.RequestUri!.AbsolutePath);
        var back = await browser.SignInAsync(login, "admin", NewOwnerPassword);

        var query = HttpUtility.ParseQueryString(back.RequestMessage!.RequestUri!.Query);
        Assert.Equal("st-1", query["state"]);
        var code = query["code"]!;
        using var web = Host.Oidc(EmbeddedProvider.WebClientId);
        Assert.Equal("invalid_grant", (await web.RedeemCodeAsync(code, redirect, OidcClient.Pkce().Verifier)).Error); // another verifier
        var tokens = await web.RedeemCodeAsync(code, redirect, verifier);
        Assert.True(tokens.Succeeded, $"{tokens.Error}: {tokens.Description}");
        Assert.Equal("invalid_grant", (await web.RedeemCodeAsync(code, redirect, verifier)).Error); // a code is used once
        Assert.Equal("admin", tokens.Access.Subject);
        var sessions = await (await Host.Api(tokens.AccessToken).GetAsync("/sessions")).ReadAsync<List<SessionResponse>>();
        Assert.Contains(sessions, s => s is { ClientId: EmbeddedProvider.WebClientId, Flow: "authorization_code", Current: true });
    }

    [Fact]
    public async Task Code_flow_without_PKCE_or_with_plain_is_refused()
    {
        var redirect = new Uri(Host.BaseAddress, "auth/callback").AbsoluteUri;
        using var browser = Host.Browser();

        foreach (var (challenge, method) in new[] { ("", ""), ("plain-challenge-value-that-is-long-enough-0123456789", "plain") })
        {
            var answer = await browser.GetAsync(OidcClient.AuthorizeUrl(EmbeddedProvider.WebClientId, redirect, challenge, "st", method: method));
            var location = answer.Headers.Location?.AbsoluteUri ?? await answer.Content.ReadAsStringAsync();
            Assert.Contains("invalid_request", location, StringComparison.Ordinal);
            Assert.DoesNotContain("code=", location, StringComparison.Ordinal);
        }
    }
}
