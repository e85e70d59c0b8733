using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Wallet;
using Marten;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// Many writers on one wallet, on real PostgreSQL: 64 runtime debits race a balance that pays for only some of them. The
/// balance ends exact and never negative, each accepted debit is on the stream once, each refused one hears why.
/// </summary>
public sealed class WalletConcurrencyTests(PostgresServer postgres) : IAsyncLifetime
{
    private const int Writers = 64;
    private const long PerDebit = 50; // 5 minutes of one service at 10 per service-minute
    private DocumentStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(WalletConcurrencyTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    private WalletCommandQueue Queue() =>
        new(_store, new RecordingWalletWorkflows(), Options.Create(new WalletOptions()), TimeProvider.System);

    private static BuyRuntime Debit(Guid org, Guid workspace, DateTimeOffset now) =>
        new(org, workspace, now, now, 5, ["web"], 10, "system:runtime-meter", now);

    /// <summary>Starts every writer at once (a barrier), each with its own workspace; returns each one's outcome.</summary>
    private static async Task<StreamDecision<OrgWallet>[]> RaceAsync(Guid org, Func<int, IWalletCommand, Task<StreamDecision<OrgWallet>>> write)
    {
        var now = DateTimeOffset.UtcNow;
        using var go = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, Writers).Select(i => Task.Run(() =>
        {
            go.Wait(TimeSpan.FromSeconds(30));
            return write(i, Debit(org, Guid.CreateVersion7(now.AddTicks(i)), now));
        })).ToArray();
        go.Set();
        return await Task.WhenAll(tasks);
    }

    private async Task AssertExactAsync(Guid org, StreamDecision<OrgWallet>[] outcomes, long funded)
    {
        var accepted = outcomes.Where(o => o.Status == DecisionStatus.Appended).ToList();
        var refused = outcomes.Where(o => o.Status == DecisionStatus.Rejected).ToList();
        Assert.Equal(Writers, accepted.Count + refused.Count);
        Assert.Equal(funded / PerDebit, accepted.Count);
        Assert.All(refused, r => Assert.Equal("wallet.insufficient_balance", r.Rejection!.Code));

        var wallet = await WalletSeed.LoadAsync(_store, org);
        Assert.Equal(0, wallet!.Balance);
        var debits = (await WalletSeed.EventsAsync(_store, org)).OfType<UsageDebited>().ToList();
        Assert.Equal(accepted.Count, debits.Count);
        Assert.Equal(debits.Count, debits.Select(d => d.WorkspaceId).Distinct().Count()); // each accepted debit once
        var balance = funded;
        foreach (var debit in debits)
        {
            balance -= debit.Amount;
            Assert.Equal(balance, debit.BalanceAfter); // the running balance is exact at every step
            Assert.True(debit.BalanceAfter >= 0);
        }
    }

    [Fact]
    public async Task Sixty_four_debits_through_the_wallets_queue_never_spend_twice()
    {
        var org = Guid.CreateVersion7();
        const long funded = 40 * PerDebit;
        await WalletSeed.FundAsync(_store, org, funded);
        var queue = Queue();

        var outcomes = await RaceAsync(org, (_, command) => queue.DecideAsync(command, new WriteContext("system:runtime-meter")));

        await AssertExactAsync(org, outcomes, funded);
    }

    [Fact]
    public async Task Sixty_four_debits_from_two_processes_and_the_plain_command_path_stay_exact()
    {
        // Two queues are two API processes; every third writer takes the plain command path (retries on conflict). Only the
        // stream's expected version keeps them apart: losers decide again on the balance the winner left.
        var org = Guid.CreateVersion7();
        const long funded = 40 * PerDebit;
        await WalletSeed.FundAsync(_store, org, funded);
        var (a, b) = (Queue(), Queue());

        var outcomes = await RaceAsync(org, async (i, command) =>
        {
            var context = new WriteContext("system:runtime-meter");
            for (var attempt = 0; ; attempt++)
            {
                var outcome = (i % 3) switch
                {
                    0 => await a.DecideAsync(command, context),
                    1 => await b.DecideAsync(command, context),
                    _ => await StreamDecisions.DecideAsync(_store, WalletDecider.Decider, WalletIds.For(org), _ => command, context, attempts: 20),
                };
                if (outcome.Status != DecisionStatus.Conflict || attempt == 20)
                {
                    return outcome; // a conflict is what the meter's activity retries; here the test retries it
                }
            }
        });

        Assert.DoesNotContain(outcomes, o => o.Status == DecisionStatus.Conflict);
        await AssertExactAsync(org, outcomes, funded);
    }

    public ValueTask DisposeAsync()
    {
        _store?.Dispose();
        return ValueTask.CompletedTask;
    }
}
