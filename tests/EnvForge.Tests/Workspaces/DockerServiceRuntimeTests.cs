using Docker.DotNet;
using Docker.DotNet.Models;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Options;
using ServiceSpec = EnvForge.Domain.Workspaces.ServiceSpec;

namespace EnvForge.Tests.Workspaces;

/// <summary>The service runtime against the real local Docker engine (image built by ops/test.sh).</summary>
public sealed class DockerServiceRuntimeTests : IAsyncLifetime
{
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri("unix:///var/run/docker.sock")).CreateClient();
    private readonly Workspace _workspace = new(
        Guid.CreateVersion7(), Guid.CreateVersion7(), "acme-dev", "https://git.example.com/acme/app", "main",
        [new ServiceSpec("web", 3000), new ServiceSpec("api", 8080)],
        [new SecretRef("DB_PASSWORD", "/envforge/acme/db", "api")]);

    private DockerServiceRuntime _runtime = null!;

    public async ValueTask InitializeAsync()
    {
        var image = Environment.GetEnvironmentVariable("ENVFORGE_TEST_RUNTIME_IMAGE") is { Length: > 0 } i ? i : "envforge/runtime:latest";
        try
        {
            await _docker.Images.InspectImageAsync(image, TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_DOCKER") != "1" && ex is DockerApiException or HttpRequestException or System.Net.Sockets.SocketException or TimeoutException)
        {
            Assert.Skip($"no Docker engine with the {image} image here ({ex.GetType().Name}); run ops/test.sh");
        }

        _runtime = new DockerServiceRuntime(Options.Create(new RuntimeOptions { ServiceImage = image }));
    }

    [Fact]
    public async Task Each_service_runs_with_only_its_own_secrets_and_sleep_removes_them()
    {
        var secrets = new ResolvedSecrets(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["api"] = new Dictionary<string, string> { ["DB_PASSWORD"] = "s3cr3t-value" },
        });

        await _runtime.StartAsync(_workspace, secrets, TestContext.Current.CancellationToken);

        var api = await _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "api"), TestContext.Current.CancellationToken);
        var web = await _docker.Containers.InspectContainerAsync(DockerServiceRuntime.ContainerName(_workspace.Id, "web"), TestContext.Current.CancellationToken);
        Assert.True(api.State.Running);
        Assert.True(web.State.Running);
        Assert.Contains("DB_PASSWORD=s3cr3t-value", api.Config.Env);
        Assert.DoesNotContain(web.Config.Env, e => e.StartsWith("DB_PASSWORD", StringComparison.Ordinal));
        Assert.Equal(_workspace.OrgId.ToString(), api.Config.Labels["envforge.org"]);
        Assert.Equal("none", api.HostConfig.NetworkMode);
        Assert.Contains("ALL", api.HostConfig.CapDrop);
        Assert.True(api.HostConfig.ReadonlyRootfs);
        Assert.DoesNotContain("s3cr3t-value", secrets.ToString(), StringComparison.Ordinal);

        await _runtime.StopAsync(_workspace, TestContext.Current.CancellationToken);
        await _runtime.StopAsync(_workspace, TestContext.Current.CancellationToken); // sleeping twice is fine

        var left = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"envforge.workspace={_workspace.Id}"] = true } },
        }, TestContext.Current.CancellationToken);
        Assert.Empty(left);
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null)
        {
            await _runtime.StopAsync(_workspace, CancellationToken.None);
            _runtime.Dispose();
        }

        _docker.Dispose();
    }
}
