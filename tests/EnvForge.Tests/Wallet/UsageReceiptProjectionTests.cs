using EnvForge.Domain.Wallet;
using EnvForge.Projections.Wallet;
using EnvForge.Tests.Infrastructure;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events;

namespace EnvForge.Tests.Wallet;

/// <summary>The usage receipt projection on the daemon, against real PostgreSQL.</summary>
public sealed class UsageReceiptProjectionTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_periods_debits_and_settlement_taken_in_one_batch_make_one_receipt()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(UsageReceiptProjectionTests));
        using var store = DocumentStore.For(o =>
        {
            o.Connection(connectionString);
            o.DatabaseSchemaName = "receipts";
            o.Projections.Add(new UsageReceiptProjection(), ProjectionLifecycle.Async);
        });
        var (wallet, org, workspace) = (Guid.CreateVersion7(T0), Guid.CreateVersion7(T0), Guid.CreateVersion7(T0));
        string[] services = ["web", "api"];

        // Appended before the daemon starts, so it takes all three in one batch.
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream(wallet,
                new UsageDebited(wallet, org, workspace, T0, T0, T0.AddMinutes(15), 15, services, 10, 300, 200, "meter", T0),
                new UsageDebited(wallet, org, workspace, T0, T0.AddMinutes(15), T0.AddMinutes(25), 10, services, 10, 200, 0, "meter", T0.AddMinutes(15)),
                new UsageSettled(wallet, org, workspace, T0, T0.AddMinutes(24), 24, 25, 480, 20, 20, "meter", T0.AddMinutes(24)));
            await session.SaveChangesAsync();
        }

        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        await store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        await using var query = store.QuerySession();
        var receipt = Assert.Single(await query.Query<UsageReceipt>().ToListAsync());
        Assert.Equal((25, 500L, 24, 20L, 480L, T0.AddMinutes(24)), (receipt.MinutesPaid, receipt.Paid, receipt.Minutes, receipt.Returned, receipt.Amount, receipt.End));
    }
}
