using EnvForge.Domain.Wallet;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Projections.Wallet;
using EnvForge.Projections.Workspaces;
using EnvForge.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnvForge.Tests.Audit;

/// <summary>
/// The inline read models that build on what they wrote before (a top-up's record, a VM's owner, a readiness receipt with
/// its placement), rebuilt from the whole history by the daemon, where one batch carries many events of one read model
/// and nothing of the batch is in the database yet: each must come back exactly as the live path wrote it.
/// </summary>
public sealed class InlineProjectionRebuildTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(nameof(TopUpHistoryProjection), typeof(TopUpRecord))]
    [InlineData(nameof(RuntimeVmRegistryProjection), typeof(RuntimeVm))]
    [InlineData(nameof(ReadinessReceiptProjection), typeof(ReadinessReceipt))]
    public async Task A_rebuild_gives_back_the_read_model_the_live_path_wrote(string projection, Type readModel)
    {
        var connectionString = await postgres.CreateDatabaseAsync($"{nameof(InlineProjectionRebuildTests)}_{projection}");
        using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await HistoryAsync(store);
        var rebuilds = new ProjectionRebuilds(store, TimeProvider.System, new ServiceCollection().BuildServiceProvider());
        var name = Assert.Single(rebuilds.Names, n => n.Contains(projection.Replace("Projection", ""), StringComparison.Ordinal));

        var result = await rebuilds.RunAsync(name, Guid.NewGuid(), _ => { }, CancellationToken.None);

        Assert.True(result.Status == "succeeded", $"{name}: {result.Error}");
        var table = Assert.Single(result.Comparison!.After);
        Assert.Equal(((IReadOnlyStoreOptions)store.Options).FindOrResolveDocumentType(readModel).TableName.QualifiedName, table.Table);
        Assert.True(table.Rows > 0, $"{name}: {table.Table} is empty");
        Assert.True(result.Comparison.Equal, $"{name}: before {string.Join(", ", result.Comparison.Before)}; after {string.Join(", ", result.Comparison.After)}");
    }

    [Fact]
    public async Task A_rebuild_that_cannot_apply_an_event_fails_and_says_why()
    {
        var connectionString = await postgres.CreateDatabaseAsync($"{nameof(InlineProjectionRebuildTests)}_cause");
        using var store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        // A history the live path refuses (a second org on a claimed VM), written by a store without the registry's projection.
        using (var unguarded = DocumentStore.For(o =>
        {
            EventStore.Configure(o, connectionString);
            o.Projections.All.RemoveAll(p => p.Name.EndsWith(nameof(RuntimeVmRegistryProjection), StringComparison.Ordinal));
        }))
        {
            foreach (var org in new[] { Guid.CreateVersion7(T0), Guid.CreateVersion7(T0.AddSeconds(1)) })
            {
                var id = Guid.CreateVersion7(T0);
                await using var session = unguarded.LightweightSession();
                session.Events.StartStream(id,
                    new WorkspaceCreated(id, org, "ws", "https://git.example.com/a/b", "main", [new ServiceSpec("web", 80)], [], "dev", T0),
                    new WorkspacePlaced(id, org, "i-0bbbbbbbbbbbbbbbb", "us-east-1", "system", T0));
                await session.SaveChangesAsync();
            }
        }

        var rebuilds = new ProjectionRebuilds(store, TimeProvider.System, new ServiceCollection().BuildServiceProvider());
        var name = Assert.Single(rebuilds.Names, n => n.EndsWith(nameof(RuntimeVmRegistryProjection), StringComparison.Ordinal));
        var result = await rebuilds.RunAsync(name, Guid.NewGuid(), _ => { }, CancellationToken.None);

        Assert.Equal("failed", result.Status);
        Assert.Contains($"cause: {nameof(VmOwnershipViolationException)}: A runtime VM cannot serve two organizations.", result.Error, StringComparison.Ordinal);
    }

    /// <summary>Each command its own append, as the live path writes them: two workspaces of one org on one VM, each ready; two top-ups paid.</summary>
    private static async Task HistoryAsync(DocumentStore store)
    {
        var org = Guid.CreateVersion7(T0);
        async Task AppendAsync(Guid stream, object e, bool start = false)
        {
            await using var session = store.LightweightSession();
            if (start)
            {
                session.Events.StartStream(stream, e);
            }
            else
            {
                session.Events.Append(stream, e);
            }

            await session.SaveChangesAsync();
        }

        foreach (var i in new[] { 1, 2 })
        {
            var id = Guid.CreateVersion7(T0.AddMinutes(i));
            await AppendAsync(id, new WorkspaceCreated(id, org, $"ws-{i}", "https://git.example.com/a/b", "main", [new ServiceSpec("web", 80)], [], "dev", T0), start: true);
            await AppendAsync(id, new WorkspacePlaced(id, org, "i-0aaaaaaaaaaaaaaaa", "us-east-1", "system", T0.AddMinutes(i)));
            await AppendAsync(id, new WorkspaceReady(id, org, ["web"], "system", T0.AddMinutes(i + 1)));
        }

        var wallet = WalletIds.For(org);
        await AppendAsync(wallet, new WalletOpened(wallet, org, "usd", "dev", T0), start: true);
        var balance = 0L;
        foreach (var i in new[] { 1, 2 })
        {
            var topUp = Guid.CreateVersion7(T0.AddMinutes(i));
            await AppendAsync(wallet, new TopUpRequested(wallet, org, topUp, 1000 * i, "usd", false, "dev", T0.AddMinutes(i)));
            await AppendAsync(wallet, new TopUpPaymentStarted(wallet, org, topUp, $"pi_{i}", "processing", "system", T0.AddMinutes(i)));
            await AppendAsync(wallet, new WalletCredited(wallet, org, topUp, $"pi_{i}", 1000 * i, balance += 1000 * i, $"evt_{i}", "stripe", T0.AddMinutes(i + 1)));
        }
    }
}
