using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Workspaces;
using EnvForge.Tests.Infrastructure;
using Marten;

namespace EnvForge.Tests.Workspaces;

/// <summary>The placement invariant held by the store too: a VM's first placement names its org for good.</summary>
public sealed class RuntimeVmRegistryTests(PostgresServer postgres) : IAsyncLifetime
{
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(RuntimeVmRegistryTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    private async Task PlaceAsync(Guid org, string instance)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Workspace>(id,
            new WorkspaceCreated(id, org, $"ws-{id:N}"[..12], "https://git.example.com/a/b", "main", [new ServiceSpec("web", 80)], [], "dev", now),
            new WorkspacePlaced(id, org, instance, "us-east-1", "system", now));
        await session.SaveChangesAsync();
    }

    [Fact]
    public async Task Two_workspaces_of_one_org_may_share_a_vm()
    {
        var org = Guid.CreateVersion7();
        await PlaceAsync(org, "i-0aaaaaaaaaaaaaaaa");
        await PlaceAsync(org, "i-0aaaaaaaaaaaaaaaa");

        await using var session = _store.QuerySession();
        Assert.Equal(org, (await session.LoadAsync<RuntimeVm>("i-0aaaaaaaaaaaaaaaa"))?.OrgId);
    }

    [Fact]
    public async Task Another_orgs_placement_on_a_claimed_vm_fails_and_appends_nothing()
    {
        var owner = Guid.CreateVersion7();
        var intruder = Guid.CreateVersion7();
        await PlaceAsync(owner, "i-0bbbbbbbbbbbbbbbb");

        await Assert.ThrowsAnyAsync<Exception>(() => PlaceAsync(intruder, "i-0bbbbbbbbbbbbbbbb"));

        await using var session = _store.QuerySession();
        Assert.Equal(owner, (await session.LoadAsync<RuntimeVm>("i-0bbbbbbbbbbbbbbbb"))?.OrgId);
        Assert.Equal(0, await session.Query<Workspace>().CountAsync(w => w.OrgId == intruder));
    }

    public ValueTask DisposeAsync()
    {
        _store.Dispose();
        return ValueTask.CompletedTask;
    }
}
