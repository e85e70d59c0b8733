using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// The runtime workflow's meter: pays ahead for blocks of an awake period and settles the period when the workspace
/// sleeps, through the wallet's queue (<see cref="WalletCommandQueue"/>). Idempotent by workspace, period and block: a
/// retried activity finds its block bought (or its period settled) and appends nothing.
/// </summary>
public sealed class RuntimeMeterActivities(IDocumentStore store, WalletCommandQueue queue, IOptions<WalletOptions> options, TimeProvider time)
{
    public const string Actor = "system:runtime-meter";

    /// <summary>Pays for the next block of the period from <paramref name="from"/>; not granted when the wallet cannot pay one more minute.</summary>
    [Activity("Wallet.BuyRuntime")]
    public async Task<RuntimeBlock> BuyRuntimeAsync(RuntimeInput input, DateTime periodStart, DateTime from)
    {
        var workspace = await WorkspaceStream.LoadAsync(store, input.WorkspaceId, ActivityStreams.CancellationToken);
        var start = Utc(periodStart);
        var outcome = await DecideAsync(new BuyRuntime(
            input.OrgId, input.WorkspaceId, start, Utc(from), options.Value.MeterBlockMinutes, [.. workspace.Services.Select(s => s.Name)],
            options.Value.DefaultRatePerServiceMinute, Actor, time.GetUtcNow()));
        if (outcome.Rejection is { } refused)
        {
            return refused == WalletRejections.InsufficientBalance || refused == WalletRejections.NotOpen
                ? new RuntimeBlock(false, from, 0)
                : throw new ApplicationFailureException(refused.Message, refused.Code, nonRetryable: true);
        }

        var meter = outcome.State?.Meters.GetValueOrDefault(input.WorkspaceId);
        return meter is not null && meter.PeriodStart == start
            ? new RuntimeBlock(true, meter.PaidUntil.UtcDateTime, outcome.Events.OfType<UsageDebited>().Sum(d => d.Minutes))
            : new RuntimeBlock(false, from, 0); // a newer period has replaced this one: this one is over
    }

    /// <summary>The period ended at <paramref name="end"/>: started minutes are charged, the rest of what was paid returns.</summary>
    [Activity("Wallet.SettleRuntime")]
    public async Task SettleRuntimeAsync(RuntimeInput input, DateTime periodStart, DateTime end) =>
        await DecideAsync(new SettleRuntime(input.OrgId, input.WorkspaceId, Utc(periodStart), Utc(end), Actor, time.GetUtcNow()));

    private async Task<StreamDecision<OrgWallet>> DecideAsync(IWalletCommand command)
    {
        var context = ActivityExecutionContext.HasCurrent
            ? new WriteContext(Actor, $"{ActivityExecutionContext.Current.Info.WorkflowId}/{ActivityExecutionContext.Current.Info.WorkflowRunId}",
                $"{ActivityExecutionContext.Current.Info.ActivityType}#{ActivityExecutionContext.Current.Info.ActivityId}")
            : new WriteContext(Actor);
        var outcome = await queue.DecideAsync(command, context, ActivityStreams.CancellationToken);
        return outcome.Status is DecisionStatus.Conflict or DecisionStatus.Abandoned
            ? throw new ApplicationFailureException("the wallet could not be written now; retrying", "concurrency_conflict", nonRetryable: false)
            : outcome;
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
