using System.Net;
using System.Net.Http.Json;
using Docker.DotNet;
using EnvForge.Api.Wallet;
using EnvForge.Domain.Wallet;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Wallet;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Wallet;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Testing;

namespace EnvForge.Tests.Wallet;

/// <summary>
/// Paying for runtime end to end, without a Temporal server (none can run here): the API (wake, 402, top-up, webhook, read
/// models) on real PostgreSQL, and the runtime workflow's steps played in the order its metered replay tests prove, with
/// the host's own activities (the wallet's queue, the real Docker engine, the wallet budget):
/// wake -> awake minutes -> debits -> receipt -> balance reaches zero -> slept -> 402 on the next wake -> top-up -> wake allowed.
/// </summary>
public sealed class WalletScenarioTests(PostgresServer postgres) : WalletHost(postgres)
{
    private readonly RecordingWorkspaceWorkflows _workspaces = new();
    private Workspace? _workspace;

    public override async ValueTask InitializeAsync()
    {
        var image = Environment.GetEnvironmentVariable("ENVFORGE_TEST_RUNTIME_IMAGE") is { Length: > 0 } i ? i : "envforge/runtime:latest";
        using var docker = new DockerClientConfiguration(new Uri("unix:///var/run/docker.sock")).CreateClient();
        try
        {
            await docker.Images.InspectImageAsync(image);
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_DOCKER") != "1" && ex is DockerApiException or HttpRequestException or System.Net.Sockets.SocketException or TimeoutException)
        {
            Assert.Skip($"no Docker engine with the {image} image here ({ex.GetType().Name}); run ops/test.sh");
        }

        await base.InitializeAsync();
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Replace(ServiceDescriptor.Singleton<IWorkspaceWorkflows>(_workspaces));
        services.Configure<RuntimeOptions>(o => o.ServiceImage = Environment.GetEnvironmentVariable("ENVFORGE_TEST_RUNTIME_IMAGE") is { Length: > 0 } i ? i : "envforge/runtime:latest");
        services.Configure<WalletOptions>(o => (o.MeterBlockMinutes, o.MinimumRuntimeMinutes) = (15, 15));
    }

    private async Task<Workspace> ReadyWorkspaceAsync(Guid org)
    {
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        IWorkspaceEvent[] history =
        [
            new WorkspaceCreated(id, org, "scene-dev", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000), new ServiceSpec("api", 8080)], [], "seed", now),
            new ProvisioningStarted(id, org, "seed", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.AssumeRole, "ok", "seed", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.Terraform, "ok", "seed", now),
            new WorkspacePlaced(id, org, $"i-{id:N}"[..19], "us-east-1", "seed", now),
            new ProvisioningStepCompleted(id, org, ProvisioningStep.Verify, "ok", "seed", now),
            new WorkspaceReady(id, org, ["ec2"], "seed", now),
        ];
        await using var session = Api.Store.LightweightSession();
        session.Events.StartStream<Workspace>(id, history);
        await session.SaveChangesAsync();
        return history.Aggregate((Workspace?)null, Workspace.Evolve)!;
    }

    private async Task TopUpAsync(Guid org, long amount)
    {
        var topUp = await RequestTopUpAsync(org, "scene", amount);
        await (await DeliverAsync(PaymentEvent("payment_intent.succeeded", org, topUp, amount, $"pi_{topUp:N}"))).AssertStatusAsync(HttpStatusCode.OK);
    }

    private Task<HttpResponseMessage> WakeAsync(Guid org, Guid workspace) =>
        Api.ClientFor("scene-dev").PostJsonAsync($"/orgs/{org}/workspaces/{workspace}/wake", new { trigger = "DevUrl" });

    [Fact]
    public async Task Awake_minutes_are_paid_until_the_balance_is_gone_then_the_workspace_sleeps_and_wakes_again_after_a_top_up()
    {
        var org = await OrgAsync("scene");
        await (await Api.ClientFor("scene-owner").PutAsJsonAsync($"/orgs/{org}/wallet/rate", new { ratePerServiceMinute = 10 })).AssertStatusAsync(HttpStatusCode.OK);
        _workspace = await ReadyWorkspaceAsync(org);
        await TopUpAsync(org, 500); // two services at 10: 20 a minute, 25 minutes

        await (await WakeAsync(org, _workspace.Id)).AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.True(_workspaces.Wakes.TryDequeue(out var wake));

        // The runtime workflow's metered cycle, step by step, on the host's own activities.
        var meter = Api.Services.GetRequiredService<RuntimeMeterActivities>();
        var runtime = Api.Services.GetRequiredService<RuntimeActivities>();
        var env = new ActivityEnvironment();
        var start = DateTime.UtcNow;
        var first = await env.RunAsync(() => meter.BuyRuntimeAsync(wake.Input, start, start));
        Assert.Equal(new RuntimeBlock(true, start.AddMinutes(15), 15), first);
        Assert.True(await env.RunAsync(() => runtime.WakeAsync(wake.Input, wake.Trigger)));
        var second = await env.RunAsync(() => meter.BuyRuntimeAsync(wake.Input, start, first.PaidUntil));
        Assert.Equal(new RuntimeBlock(true, start.AddMinutes(25), 10), second); // the 200 left pays 10 minutes
        var third = await env.RunAsync(() => meter.BuyRuntimeAsync(wake.Input, start, second.PaidUntil));
        Assert.False(third.Granted);
        await env.RunAsync(() => runtime.SleepAsync(wake.Input, WorkspaceRuntimeWorkflow.BalanceExhausted));
        await env.RunAsync(() => meter.SettleRuntimeAsync(wake.Input, start, start.AddMinutes(25).AddSeconds(20)));

        // Slept, with the reason; the balance is exactly zero; the ledger and the receipt say why.
        await using (var session = Api.Store.QuerySession())
        {
            var workspace = await session.LoadAsync<Workspace>(_workspace.Id);
            Assert.False(workspace!.Awake);
            var slept = (await session.Events.FetchStreamAsync(_workspace.Id)).Select(e => e.Data).OfType<WorkspaceSlept>().Single();
            Assert.Equal(WorkspaceRuntimeWorkflow.BalanceExhausted, slept.Reason);
        }

        var support = Api.ClientFor("scene-support");
        var balance = await support.GetAsync($"/orgs/{org}/wallet");
        Assert.Equal(0, (await balance.ReadAsync<WalletResponse>()).Balance);
        var ledger = await (await support.GetAsync($"/orgs/{org}/wallet/ledger")).ReadAsync<LedgerPage>();
        Assert.Equal([("wallet.usage_settled.v1", 0L, 0L), ("wallet.debited.v1", -200L, 0L), ("wallet.debited.v1", -300L, 200L), ("wallet.credited.v1", 500L, 500L)],
            ledger.Items.Select(e => (e.Kind, e.Amount, e.BalanceAfter)));
        var events = await WalletSeed.EventsAsync(Api.Store, org);
        Assert.Equal([75, 90, 100], events.OfType<LowBalanceThresholdCrossed>().Select(t => t.PercentSpent));

        await Api.CatchUpAsync();
        var receipts = await (await support.GetAsync($"/orgs/{org}/wallet/usage?workspaceId={_workspace.Id}")).ReadAsync<UsagePage>();
        var receipt = Assert.Single(receipts.Items);
        Assert.Equal((25, 10L, 500L, 0L), (receipt.Minutes, receipt.Rate, receipt.Amount, receipt.Returned));
        Assert.Equal(["web", "api"], receipt.Services);
        Assert.Equal(DateTime.SpecifyKind(start, DateTimeKind.Utc), receipt.Start.UtcDateTime);
        Assert.Equal(start.AddMinutes(25).AddSeconds(20), receipt.End!.Value.UtcDateTime);
        Assert.All(receipt.PerService, s => Assert.Equal((25, 250L), (s.Minutes, s.Amount)));

        // The next wake is refused before anything starts; after a top-up it is allowed.
        await (await WakeAsync(org, _workspace.Id)).AssertProblemAsync(HttpStatusCode.PaymentRequired, "workspace.insufficient_balance");
        Assert.Empty(_workspaces.Wakes);
        await TopUpAsync(org, 1_000);
        await (await WakeAsync(org, _workspace.Id)).AssertStatusAsync(HttpStatusCode.Accepted);
        Assert.Single(_workspaces.Wakes);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_workspace is not null)
        {
            await Api.Services.GetRequiredService<IServiceRuntime>().StopAsync(_workspace, CancellationToken.None);
        }

        await base.DisposeAsync();
    }
}
