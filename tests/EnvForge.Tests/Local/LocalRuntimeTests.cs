using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Local;
using EnvForge.Workflows.Workspaces;
using Temporalio.Exceptions;

namespace EnvForge.Tests.Local;

/// <summary>The Local runtime and secrets on the real Docker engine: services on the org's network, each with only its secrets.</summary>
public sealed class LocalRuntimeTests : IAsyncLifetime
{
    private const string Greeting = "greeting-value-7d1f0e-never-shown";
    private const string AdminToken = "admin-token-value-93ab5c-never-shown";
    private LocalMachine _machine = null!;

    public async ValueTask InitializeAsync() => _machine = await LocalMachine.StartAsync();

    /// <summary>The sample app's workspace, as provisioning leaves it: the org's host, and the checkout at the commit.</summary>
    private async Task<Workspace> SampleWorkspaceAsync(Guid org)
    {
        var (repo, commit) = _machine.SampleRepository();
        var manifest = ManifestParser.Parse(await File.ReadAllTextAsync(Path.Combine(repo, EnvForgeManifest.FileName))).Manifest!;
        var workspace = new Workspace(Guid.CreateVersion7(), org, "sample", repo, "main", manifest.ServiceSpecs(), manifest.SecretRefs())
        {
            Commit = commit,
            Provider = InfrastructureProvider.Local,
            Placement = new Placement(LocalNames.Host(org), LocalNames.Region),
        };
        await _machine.Hosts.EnsureAsync(org, CancellationToken.None);
        var snapshot = await _machine.Repositories.ResolveAsync(repo, "main", commit, CancellationToken.None);
        await GitRepositories.ExportAsync(snapshot, _machine.Paths.Checkout(org, workspace.Id), CancellationToken.None);
        return workspace;
    }

    private async Task SetAsync(Guid org, string path, string value)
    {
        using (await _machine.Secrets.LockAsync(org, CancellationToken.None))
        {
            var version = await _machine.Secrets.CurrentVersionAsync(org, path, CancellationToken.None) + 1;
            LocalSecretStore.Commit(await _machine.Secrets.StageAsync(org, path, version, value, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Wake_builds_the_sample_app_and_runs_each_service_isolated_with_only_its_own_secrets()
    {
        var org = _machine.NewOrg();
        var workspace = await SampleWorkspaceAsync(org);
        await SetAsync(org, "/envforge/sample/greeting", Greeting);
        await SetAsync(org, "/envforge/sample/admin-token", AdminToken);
        var secrets = await new LocalSecretResolver(_machine.Secrets).ResolveAsync(workspace, CancellationToken.None);
        var runtime = _machine.Runtime();

        await runtime.StartAsync(workspace, secrets, CancellationToken.None);

        var web = (await _machine.Docker.InspectAsync(LocalNames.Service(workspace.Id, "web"), CancellationToken.None))!;
        var admin = (await _machine.Docker.InspectAsync(LocalNames.Service(workspace.Id, "admin"), CancellationToken.None))!;
        Assert.Contains($"GREETING={Greeting}", web.Config.Env);
        Assert.DoesNotContain(web.Config.Env, e => e.StartsWith("ADMIN_TOKEN=", StringComparison.Ordinal));
        Assert.Contains($"ADMIN_TOKEN={AdminToken}", admin.Config.Env);
        Assert.DoesNotContain(admin.Config.Env, e => e.StartsWith("GREETING=", StringComparison.Ordinal));
        Assert.Equal("ResolvedSecrets(ADMIN_TOKEN, GREETING)", secrets.ToString());
        foreach (var container in new[] { web, admin })
        {
            Assert.True(container.State.Running);
            Assert.Equal(["ALL"], container.HostConfig.CapDrop);
            Assert.Contains("no-new-privileges", container.HostConfig.SecurityOpt);
            Assert.True(container.HostConfig.ReadonlyRootfs);
            Assert.Equal("1000:1000", container.Config.User);
            Assert.Equal(256, container.HostConfig.PidsLimit);
            Assert.Equal(256L * 1024 * 1024, container.HostConfig.Memory);
            Assert.Equal(LocalNames.Network(org), container.HostConfig.NetworkMode);
            Assert.Equal([LocalNames.Network(org)], container.NetworkSettings.Networks.Keys);
            Assert.Empty(container.HostConfig.PortBindings ?? new Dictionary<string, IList<Docker.DotNet.Models.PortBinding>>());
            Assert.StartsWith("envforge-build/context:", container.Config.Image, StringComparison.Ordinal);
            Assert.DoesNotContain(container.Config.Labels, l => l.Value.Contains("never-shown", StringComparison.Ordinal));
        }

        // The app answers on the org's network; it names the secrets it sees, never their values.
        var address = await _machine.Addresses.UpstreamAsync(new ServiceTarget(workspace.Id, org, LocalNames.Host(org), LocalNames.Region, "web", 8080), CancellationToken.None);
        using var http = new HttpClient();
        var hello = await http.GetFromJsonAsync<JsonObject>(new Uri(address!, "/api/hello"));
        Assert.Equal(["GREETING"], hello!["secrets"]!.AsArray().Select(n => (string)n!));

        await runtime.StopAsync(workspace, CancellationToken.None);
        await runtime.StopAsync(workspace, CancellationToken.None); // sleeping twice is fine
        Assert.Null(await _machine.Docker.InspectAsync(LocalNames.Service(workspace.Id, "web"), CancellationToken.None));
        Assert.Null(await _machine.Docker.InspectAsync(LocalNames.Service(workspace.Id, "admin"), CancellationToken.None));
    }

    [Fact]
    public async Task A_secret_that_was_never_set_fails_the_wake_by_its_path()
    {
        var org = _machine.NewOrg();
        var workspace = new Workspace(Guid.CreateVersion7(), org, "w", "/nowhere", "main", [new ServiceSpec("web", 8080)],
            [new SecretRef("DB_PASSWORD", "/envforge/acme/db", "web")]);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => new LocalSecretResolver(_machine.Secrets).ResolveAsync(workspace, CancellationToken.None));

        Assert.Equal("secret_not_found", failure.ErrorType);
        Assert.True(failure.NonRetryable);
        Assert.Contains("/envforge/acme/db", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_never_answers_fails_the_wake_and_leaves_nothing_running()
    {
        var org = _machine.NewOrg();
        await _machine.Hosts.EnsureAsync(org, CancellationToken.None);
        // Declared through the API (no manifest): the runtime image's httpd listens on 8080, not on the declared 9090.
        var workspace = new Workspace(Guid.CreateVersion7(), org, "w", "/nowhere", "main", [new ServiceSpec("web", 9090)], []);
        var runtime = new LocalServiceRuntime(
            _machine.Docker, _machine.Hosts, _machine.Paths, _machine.Addresses,
            Microsoft.Extensions.Options.Options.Create(new RuntimeOptions { ServiceImage = LocalMachine.RuntimeImage, ServiceCommand = ["sh", "-c", "exec httpd -f -p 8080 -h /srv"] }),
            TimeProvider.System);
        _machine.Options.HealthTimeout = TimeSpan.FromSeconds(3);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => runtime.StartAsync(workspace, new ResolvedSecrets(new Dictionary<string, IReadOnlyDictionary<string, string>>()), CancellationToken.None));

        Assert.Equal("service_unhealthy", failure.ErrorType);
        Assert.Null(await _machine.Docker.InspectAsync(LocalNames.Service(workspace.Id, "web"), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }
    }
}
