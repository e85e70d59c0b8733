using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Local;
using Temporalio.Exceptions;

namespace EnvForge.Tests.Local;

/// <summary>
/// Root elevation on an org's Local host with the SSM host's own scripts, run for real: sudo works for the dev login
/// during the window and stops after closeout, after a revoke, and at expiry when nobody closes out (the host's backstop).
/// </summary>
public sealed class LocalRootAccessTests : IAsyncLifetime
{
    private LocalMachine _machine = null!;

    public async ValueTask InitializeAsync() => _machine = await LocalMachine.StartAsync();

    private async Task<Workspace> PlacedWorkspaceAsync(Guid org)
    {
        await _machine.Hosts.EnsureAsync(org, CancellationToken.None);
        return new Workspace(Guid.CreateVersion7(), org, "w", "/nowhere", "main", [new ServiceSpec("web", 8080)], [])
        {
            Provider = InfrastructureProvider.Local,
            Placement = new Placement(LocalNames.Host(org), LocalNames.Region),
        };
    }

    private async Task EventuallyNoRootAsync(Guid org, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (await _machine.DevHasRootAsync(org))
        {
            Assert.True(DateTime.UtcNow < deadline, "root never went away");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task Grant_gives_the_dev_login_root_and_closeout_takes_it_away()
    {
        var org = _machine.NewOrg();
        var workspace = await PlacedWorkspaceAsync(org);
        var host = _machine.RootHost();
        var grant = Guid.CreateVersion7();
        Assert.False(await _machine.DevHasRootAsync(org));

        await host.GrantAsync(workspace, grant, DateTimeOffset.UtcNow.AddMinutes(30), CancellationToken.None);
        await host.GrantAsync(workspace, grant, DateTimeOffset.UtcNow.AddMinutes(30), CancellationToken.None); // a retried activation

        Assert.True(await _machine.DevHasRootAsync(org));
        Assert.Equal(0, await _machine.OnHostAsync(org, "root", "test", "-f", SsmRootAccessHost.DropInPath(grant)));
        // One backstop sleeper for the grant, however often it was activated.
        var sleepers = await _machine.Docker.ExecAsync(LocalNames.Host(org), "root", ["pgrep", "-f", "-c", "^sleep 1800$"], CancellationToken.None);
        Assert.Equal("1", sleepers.Output.Trim());

        await host.RevokeAsync(workspace, grant, CancellationToken.None);

        Assert.False(await _machine.DevHasRootAsync(org));
        Assert.NotEqual(0, await _machine.OnHostAsync(org, "root", "test", "-e", SsmRootAccessHost.DropInPath(grant)));
        Assert.NotEqual(0, await _machine.OnHostAsync(org, "root", "pgrep", "-f", "^sleep 1800$")); // the backstop is gone too
        await host.RevokeAsync(workspace, grant, CancellationToken.None); // closing out twice is fine
    }

    [Fact]
    public async Task At_expiry_the_host_takes_root_away_by_itself_without_systemd()
    {
        var org = _machine.NewOrg();
        var workspace = await PlacedWorkspaceAsync(org);
        var host = _machine.RootHost();
        var grant = Guid.CreateVersion7();
        Assert.NotEqual(0, await _machine.OnHostAsync(org, "root", "test", "-d", "/run/systemd/system"));

        // The grant script as the SSM host sends it, with a window of 3 s (the activity never asks for less than a minute).
        await host.RunAsync(workspace, SsmRootAccessHost.GrantScript(grant, "dev", DateTimeOffset.UtcNow.AddSeconds(3), 3), "grant", CancellationToken.None);
        Assert.True(await _machine.DevHasRootAsync(org));

        await EventuallyNoRootAsync(org, TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, await _machine.OnHostAsync(org, "root", "test", "-e", SsmRootAccessHost.ExpiryPidPath(grant)));
        await host.RevokeAsync(workspace, grant, CancellationToken.None); // the closeout that follows expiry still succeeds
    }

    [Fact]
    public async Task The_scripts_never_run_on_another_orgs_host()
    {
        var acme = _machine.NewOrg();
        var globex = _machine.NewOrg();
        await _machine.Hosts.EnsureAsync(acme, CancellationToken.None);
        var intruder = await PlacedWorkspaceAsync(globex) with { Placement = new Placement(LocalNames.Host(acme), LocalNames.Region) };

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() =>
            _machine.RootHost().GrantAsync(intruder, Guid.CreateVersion7(), DateTimeOffset.UtcNow.AddMinutes(5), CancellationToken.None));

        Assert.Equal("elevation.no_host", failure.ErrorType);
        Assert.False(await _machine.DevHasRootAsync(acme));
    }

    public async ValueTask DisposeAsync()
    {
        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }
    }
}
