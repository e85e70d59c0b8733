using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Workspaces;

namespace EnvForge.Tests.Local;

/// <summary>
/// Two orgs on one machine, each with its host and a running service on its own network: nothing of one org reaches any
/// address of the other (real Docker, real TCP), while each reaches its own (so the probe itself works).
/// </summary>
public sealed class CrossOrgIsolationTests : IAsyncLifetime
{
    private LocalMachine _machine = null!;

    public async ValueTask InitializeAsync() => _machine = await LocalMachine.StartAsync();

    private sealed record Org(Guid Id, Workspace Workspace, string HostAddress, string ServiceAddress);

    private async Task<Org> OrgWithServiceAsync()
    {
        var org = _machine.NewOrg();
        var workspace = new Workspace(Guid.CreateVersion7(), org, "w", "/nowhere", "main", [new ServiceSpec("web", 8080)], []);
        await _machine.Runtime().StartAsync(workspace, new ResolvedSecrets(new Dictionary<string, IReadOnlyDictionary<string, string>>()), CancellationToken.None);
        // Something listening on the host too, so a refused connection to it means the network, not an empty port.
        await _machine.OnHostAsync(org, "dev", "sh", "-c", "setsid python3 -m http.server 9000 --bind 0.0.0.0 </dev/null >/dev/null 2>&1 &");
        var network = LocalNames.Network(org);
        var host = await _machine.Docker.AddressAsync(LocalNames.Host(org), network, CancellationToken.None);
        var service = await _machine.Docker.AddressAsync(LocalNames.Service(workspace.Id, "web"), network, CancellationToken.None);
        return new Org(org, workspace, host!.ToString(), service!.ToString());
    }

    /// <summary>A TCP connection from the org's host (python3) to address:port, within two seconds.</summary>
    private async Task<bool> HostConnectsAsync(Org from, string address, int port) => await _machine.OnHostAsync(from.Id, "dev", "python3", "-c",
        $"import socket,sys\ntry:\n socket.create_connection(('{address}', {port}), 2).close()\nexcept OSError:\n sys.exit(1)") == 0;

    /// <summary>An HTTP GET from the org's service container (busybox nc), answered 200 within two seconds.</summary>
    private async Task<bool> ServiceFetchesAsync(Org from, string address, int port) => (await _machine.Docker.ExecAsync(
        LocalNames.Service(from.Workspace.Id, "web"), "1000:1000",
        ["sh", "-c", $"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 {address} {port} | head -n 1 | grep -q ' 200 '"], CancellationToken.None)).ExitCode == 0;

    private static async Task EventuallyAsync(Func<Task<bool>> probe, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await probe())
        {
            Assert.True(DateTime.UtcNow < deadline, $"never: {what}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task No_container_of_one_org_reaches_any_address_of_another()
    {
        var acme = await OrgWithServiceAsync();
        var globex = await OrgWithServiceAsync();

        // Each org reaches its own host and service: the probes work.
        foreach (var org in new[] { acme, globex })
        {
            await EventuallyAsync(() => HostConnectsAsync(org, org.ServiceAddress, 8080), "a host reaches its org's service");
            await EventuallyAsync(() => HostConnectsAsync(org, org.HostAddress, 9000), "a host reaches its own listener");
            Assert.True(await ServiceFetchesAsync(org, org.ServiceAddress, 8080), "a service reaches itself over its org's network");
        }

        // Nothing crosses: host to host, host to service, service to service, service to host, both ways.
        foreach (var (from, to) in new[] { (acme, globex), (globex, acme) })
        {
            Assert.False(await HostConnectsAsync(from, to.HostAddress, 9000), "host -> other org's host");
            Assert.False(await HostConnectsAsync(from, to.ServiceAddress, 8080), "host -> other org's service");
            Assert.False(await ServiceFetchesAsync(from, to.ServiceAddress, 8080), "service -> other org's service");
            Assert.False(await ServiceFetchesAsync(from, to.HostAddress, 9000), "service -> other org's host");
        }

        Assert.NotEqual(LocalNames.Network(acme.Id), LocalNames.Network(globex.Id));
    }

    public async ValueTask DisposeAsync()
    {
        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }
    }
}
