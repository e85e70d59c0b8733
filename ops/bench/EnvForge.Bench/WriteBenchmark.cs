using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using EnvForge.Domain.Organizations;
using Marten;

namespace EnvForge.Bench;

/// <summary>The measured operations. Every write adds one new member to an existing org: one event, one transaction.</summary>
internal sealed class WriteBenchmark(IDocumentStore store, HttpClient api, Func<TimeSpan> apiCpu, string database)
{
    // No rate measured yet: size the first org supply for more than this machine has ever done (PLATFORM.md).
    private const double FirstGuessRate = 3000;

    private readonly Dictionary<string, double> _peakRate = [];
    private readonly ConcurrentDictionary<string, long> _refusals = new();
    private long _userIds;

    /// <summary>Baseline: <c>Append</c> + <c>SaveChangesAsync</c> in a lightweight session, nothing else (no read, no decision).</summary>
    public Task<PhaseResult> RawAppendAsync(OrgSupply supply, int clients, TimeSpan duration) =>
        MeasureAddsAsync("raw", supply, clients, duration, async client =>
        {
            var orgId = supply.Next(client);
            await using var session = store.LightweightSession();
            session.Events.Append(orgId, new MemberAdded(orgId, NextUserId(), null, Role.Developer, OrgSupply.Owner, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
            return true;
        });

    /// <summary>End to end: HTTP -> JWT auth -> validate -> load -> authorize -> decide -> append -> commit -> 201.</summary>
    public Task<PhaseResult> ApiAddMemberAsync(OrgSupply supply, int clients, TimeSpan duration) =>
        MeasureAddsAsync("api", supply, clients, duration, async client =>
        {
            var orgId = supply.Next(client);
            using var body = new StringContent($$"""{"userId":"{{NextUserId()}}","role":"Developer"}""", Encoding.UTF8, "application/json");
            using var response = await api.PostAsync(new Uri($"/orgs/{orgId}/members", UriKind.Relative), body);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return true;
            }

            await RefusedAsync(response);
            return false;
        });

    /// <summary>Answers other than 201 by status and problem code (warm-ups included), so a failed run says what went wrong.</summary>
    public IReadOnlyDictionary<string, long> Refusals => _refusals;

    private async Task RefusedAsync(HttpResponseMessage response)
    {
        string? code = null;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
        }
        catch (JsonException)
        {
            // Not a ProblemDetails body (a proxy's page, an empty answer): the status says it.
        }

        _refusals.AddOrUpdate($"{(int)response.StatusCode} {code ?? "(no problem code)"}", 1, (_, n) => n + 1);
    }

    /// <summary>The HTTP ceiling of this machine: Kestrel and the client with no auth and no database.</summary>
    public Task<PhaseResult> AliveAsync(int clients, TimeSpan duration) =>
        RunWithCpuAsync(clients, duration, async _ =>
        {
            using var response = await api.GetAsync(new Uri("/alive", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK;
        });

    /// <summary>Nothing asked of anyone: the CPU each process spends anyway (timers, pollers, GC), per second, subtracted from every phase.</summary>
    public async Task<IdleCpu> IdleAsync(TimeSpan duration)
    {
        var idle = await RunWithCpuAsync(1, duration, async _ =>
        {
            await Task.Delay(duration);
            return true;
        });
        var seconds = idle.Elapsed.TotalSeconds;
        return new IdleCpu(idle.Cpu.Bench / seconds, idle.Cpu.Api / seconds, (idle.DatabaseCpu ?? TimeSpan.Zero) / seconds);
    }

    private async Task<PhaseResult> MeasureAddsAsync(string side, OrgSupply supply, int clients, TimeSpan duration, Func<int, Task<bool>> operation)
    {
        // Twice the best rate seen so far (at least the first guess), so a noisy faster round still finds fresh orgs.
        var expected = 2 * Math.Max(_peakRate.GetValueOrDefault(side), FirstGuessRate / 2);
        await supply.TopUpAsync(clients, expected * duration.TotalSeconds);

        var result = await RunWithCpuAsync(clients, duration, operation);
        _peakRate[side] = Math.Max(_peakRate.GetValueOrDefault(side), result.Rate);
        return result;
    }

    /// <summary>
    /// With the bench, the API and PostgreSQL on 2 cores, the rate follows the CPU each operation costs; per-process CPU
    /// is also exact where the rate is disturbed by whatever else the machine runs.
    /// </summary>
    private async Task<PhaseResult> RunWithCpuAsync(int clients, TimeSpan duration, Func<int, Task<bool>> operation)
    {
        using var self = Process.GetCurrentProcess();
        await using var server = ProcessCpu.ForDatabase(database);
        var (bench, apiAtStart) = (self.TotalProcessorTime, apiCpu());
        var result = await ClosedLoop.RunAsync(clients, duration, operation);
        self.Refresh();
        return result with
        {
            Cpu = (self.TotalProcessorTime - bench, apiCpu() - apiAtStart),
            DatabaseCpu = server is null ? null : await server.StopAsync(),
        };
    }

    private string NextUserId() => $"bench-user-{Interlocked.Increment(ref _userIds)}";
}
