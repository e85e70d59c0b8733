using System.Collections.Concurrent;
using EnvForge.Domain.Common;
using EnvForge.Domain.Wallet;
using EnvForge.Projections.Infrastructure;
using Marten;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Wallet;

/// <summary>
/// The wallet's write path for hot commands (the runtime meter's debits): one in-process queue per wallet. Whoever finds
/// the queue idle drains it: it takes every command waiting (up to <see cref="MaxBatch"/>), decides them one after another
/// on the state each leaves (<see cref="WalletDecider.DecideEach"/>), appends all their events in one transaction at the
/// version it read, and answers each caller with its own outcome. Commands for one wallet never race each other in a
/// process, and a batch costs one load and one commit however many debits it carries. Another process (or the API)
/// writing the same wallet is caught by the expected-version check: the batch is decided again on what is there now.
/// </summary>
/// <remarks>
/// Why a queue rather than retries or exclusive appends: with N writers on one stream, optimistic retries commit one
/// writer per round and make the others load and decide again (wasted round trips that grow with N), and a row lock
/// serializes whole transactions (one commit at a time, each paying a round trip and an fsync). Batching pays one commit
/// for all waiting writers, so a hot wallet gets faster, not slower, as writers are added (README, "Wallet: performance").
/// </remarks>
public sealed class WalletCommandQueue(IDocumentStore store, IWalletWorkflows workflows, IOptions<WalletOptions> options, TimeProvider time)
{
    public const int MaxBatch = 256;

    /// <summary>Conflicts with writers outside this queue are decided again this many times before the callers hear of it.</summary>
    public const int Attempts = 10;

    private readonly ConcurrentDictionary<Guid, Lane> _lanes = new();

    /// <summary>Decides <paramref name="command"/> in its wallet's next batch; completes when that batch has committed (or failed).</summary>
    public Task<StreamDecision<OrgWallet>> DecideAsync(IWalletCommand command, WriteContext context, CancellationToken ct = default)
    {
        var pending = new Pending(command, context);
        var lane = _lanes.GetOrAdd(WalletIds.For(command.OrgId), id => new Lane(id));
        bool drain;
        lock (lane)
        {
            lane.Waiting.Add(pending);
            drain = !lane.Draining;
            lane.Draining = true;
        }

        if (drain)
        {
            _ = Task.Run(() => DrainAsync(lane), CancellationToken.None);
        }

        // A caller that stops waiting does not withdraw its command: it may be in the batch being committed.
        return pending.Done.Task.WaitAsync(ct);
    }

    private async Task DrainAsync(Lane lane)
    {
        while (true)
        {
            List<Pending> batch;
            lock (lane)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Draining = false;
                    return;
                }

                batch = lane.Waiting.Count <= MaxBatch ? lane.Waiting : lane.Waiting[..MaxBatch];
                lane.Waiting = lane.Waiting.Count <= MaxBatch ? [] : lane.Waiting[MaxBatch..];
            }

            await DecideBatchAsync(lane.WalletId, batch);
        }
    }

    private async Task DecideBatchAsync(Guid walletId, List<Pending> batch)
    {
        try
        {
            var first = batch[0].Command;
            var command = new WalletBatch(first.OrgId, [.. batch.Select(p => p.Command)], first.Actor, first.Now);
            var context = batch.Count == 1 ? batch[0].Context : new WriteContext("system:wallet-queue", CausationId: $"batch of {batch.Count}");
            OrgWallet? before = null;
            var outcome = await StreamDecisions.DecideAsync<IWalletCommand, OrgWallet>(
                store, WalletDecider.Decider, walletId,
                (state, _, _) =>
                {
                    before = state;
                    return ValueTask.FromResult<IWalletCommand?>(command);
                },
                context,
                beforeAppend: (after, ct) => StartAutomaticTopUpsAsync(before, after, ct),
                attempts: Attempts);

            if (outcome.Status is DecisionStatus.Conflict or DecisionStatus.Abandoned)
            {
                batch.ForEach(p => p.Done.TrySetResult(outcome with { Events = [] }));
                return;
            }

            var decisions = WalletDecider.DecideEach(command, before);
            for (var i = 0; i < batch.Count; i++)
            {
                var decision = decisions[i];
                var status = decision.IsRejected ? DecisionStatus.Rejected
                    : decision.Events.Count > 0 && outcome.Status == DecisionStatus.Appended ? DecisionStatus.Appended
                    : DecisionStatus.Unchanged;
                batch[i].Done.TrySetResult(new StreamDecision<OrgWallet>(
                    status, outcome.State, outcome.Version, status == DecisionStatus.Appended ? decision.Events : [], decision.Rejection));
            }
        }
        catch (Exception ex)
        {
            batch.ForEach(p => p.Done.TrySetException(ex));
        }
    }

    /// <summary>
    /// The batch started automatic top-ups: their workflows start first (ids derive from the wallet, so a batch decided
    /// again starts the same ones, once). Without Temporal the batch is not appended, and its callers retry.
    /// </summary>
    private async Task<bool> StartAutomaticTopUpsAsync(OrgWallet? before, OrgWallet after, CancellationToken ct)
    {
        var started = before?.AutoTopUpsStarted ?? 0;
        if (after.AutoTopUpsStarted == started)
        {
            return true;
        }

        if (workflows.UnavailableReason is not null)
        {
            return false;
        }

        var deadline = time.GetUtcNow().Add(options.Value.PaymentDeadline).UtcDateTime;
        for (var ordinal = started + 1; ordinal <= after.AutoTopUpsStarted; ordinal++)
        {
            await workflows.StartTopUpAsync(new TopUpInput(after.OrgId, WalletIds.AutoTopUp(after.Id, ordinal), deadline, Automatic: true), ct);
        }

        return true;
    }

    private sealed class Lane(Guid walletId)
    {
        public Guid WalletId { get; } = walletId;

        public List<Pending> Waiting { get; set; } = [];

        public bool Draining { get; set; }
    }

    private sealed class Pending(IWalletCommand command, WriteContext context)
    {
        public IWalletCommand Command { get; } = command;

        public WriteContext Context { get; } = context;

        public TaskCompletionSource<StreamDecision<OrgWallet>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
