using System.Net;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Auth;

/// <summary>One API with its provider per test class, and the sign-ins the tests need, done as people do them.</summary>
public abstract class AuthTestBase(PostgresServer postgres) : IAsyncLifetime
{
    public const string NewOwnerPassword = "correct-horse-battery-owner";

    private AuthHost? _host;

    protected AuthHost Host => _host ?? throw new InvalidOperationException("not initialized");

    public async ValueTask InitializeAsync() => _host = await AuthHost.StartAsync(await postgres.CreateDatabaseAsync(GetType().Name));

    /// <summary>The device flow end to end: the client asks, the person approves in the browser, the client polls.</summary>
    protected async Task<TokenAnswer> DeviceSignInAsync(string userName, string password, string? newPassword = null)
    {
        using var cli = Host.Oidc();
        var device = await cli.StartDeviceAsync();
        var pending = await cli.PollDeviceAsync(device.DeviceCode);
        Assert.Equal("authorization_pending", pending.Error);
        using var browser = Host.Browser();
        await Browser.AssertOkAsync(await browser.ApproveDeviceAsync(device.VerificationUriComplete, userName, password, newPassword));
        var tokens = await cli.PollDeviceAsync(device.DeviceCode);
        Assert.True(tokens.Succeeded, $"{tokens.Error}: {tokens.Description}");
        return tokens;
    }

    /// <summary>The first owner, signed in once (their one-time password replaced).</summary>
    protected async Task<TokenAnswer> OwnerAsync() =>
        _owner ??= await DeviceSignInAsync("admin", Host.InitialOwnerPassword(), NewOwnerPassword);

    private TokenAnswer? _owner;

    /// <summary>A user the owner creates through the admin endpoint; returns their one-time password.</summary>
    protected async Task<string> CreateUserAsync(string userName, bool admin = false)
    {
        var owner = await OwnerAsync();
        var response = await Host.Api(owner.AccessToken).PostJsonAsync("/auth/users", new { userName, displayName = userName.ToUpperInvariant(), admin });
        await response.AssertStatusAsync(HttpStatusCode.Created);
        return (await response.ReadAsync<CreatedUserResponse>()).OneTimePassword;
    }

    /// <summary>A user, created and signed in with the device flow (their one-time password replaced by <c>{name}-password-1</c>).</summary>
    protected async Task<TokenAnswer> UserAsync(string userName) =>
        await DeviceSignInAsync(userName, await CreateUserAsync(userName), $"{userName}-password-1");

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
