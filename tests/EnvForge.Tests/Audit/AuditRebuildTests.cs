using System.Net;
using System.Text.Json;
using EnvForge.Api.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Elevation;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Elevation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EnvForge.Tests.Audit;

/// <summary>Every projection rebuilds from the full history, with progress, into exactly what the live projection built; the chains match their seals.</summary>
public sealed class AuditRebuildTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    private readonly RecordingElevationWorkflows _workflows = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(_workflows));
    }

    private async Task HistoryAsync()
    {
        foreach (var name in new[] { "acme", "globex" })
        {
            var org = await ElevationOrg.CreateAsync(Api, name, ElevationOrg.Policy());
            var granted = await org.RequestAsync();
            await (await org.ApproveAsync(granted.Id, org.Admin)).AssertStatusAsync(HttpStatusCode.OK);
            await org.DecideAsync(new EnvForge.Domain.Elevation.ActivateElevation(granted.Id, "system:elevation", DateTimeOffset.UtcNow));
            var denied = await org.RequestAsync(by: org.Admin);
            await (await org.DenyAsync(denied.Id, org.SecondAdmin)).AssertStatusAsync(HttpStatusCode.OK);
            await (await org.As(org.Owner).DeleteAsync($"/orgs/{org.Id}/members/{org.Viewer}")).AssertStatusAsync(HttpStatusCode.NoContent);
        }

        await SealAsync();
    }

    /// <summary>The projections (by name's end) whose read models the history fills.</summary>
    private static readonly string[] FedByTheHistory =
        [
            "Organization", "MemberDirectoryProjection", "RootElevation", "ElevationRecord", AuditTrailProjection.Name,
            "Workspace", "RuntimeVmRegistryProjection", "ReadinessReceiptProjection",
        ];

    [Fact]
    public async Task Every_projection_rebuilt_through_the_admin_endpoint_equals_the_live_one()
    {
        await HistoryAsync();
        var ops = Api.ClientFor(Operator);
        var names = (await (await ops.GetAsync("/admin/projections")).ReadAsync<ProjectionsResponse>()).Projections;
        Assert.Contains(AuditTrailProjection.Name, names);
        Assert.True(names.Count >= 9, string.Join(", ", names));

        var fed = new List<string>();
        foreach (var name in names)
        {
            var started = await ops.PostAsync($"/admin/projections/{Uri.EscapeDataString(name)}/rebuild", null);
            await started.AssertStatusAsync(HttpStatusCode.Accepted);
            var progress = await started.ReadAsync<RebuildProgress>();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (progress.Status == "running")
            {
                Assert.True(DateTime.UtcNow < deadline, $"{name} did not finish rebuilding in time");
                await Task.Delay(100);
                progress = await (await ops.GetAsync(started.Headers.Location!.ToString())).ReadAsync<RebuildProgress>();
            }

            Assert.True(progress.Status == "succeeded", $"{name}: {progress.Error}");
            Assert.True(progress.Comparison!.Equal, $"{name}: {JsonSerializer.Serialize(progress.Comparison)}");
            Assert.True(progress.EventsTotal > 40);
            Assert.Equal(progress.EventsTotal, progress.EventsDone);
            Assert.NotEmpty(progress.Comparison.After);
            if (FedByTheHistory.Any(name.EndsWith))
            {
                // The comparison covers something: these read models hold the history above (the others stay empty, and equal).
                Assert.All(progress.Comparison.After, d => Assert.True(d.Rows > 0, $"{name}: {d.Table} is empty"));
                fed.Add(name);
            }

            if (name == AuditTrailProjection.Name)
            {
                Assert.True(progress.Comparison.Chains!.Equal);
                Assert.Equal(2, progress.Comparison.Chains.Orgs);
                Assert.True(progress.Comparison.Chains.SealsChecked >= 2);
            }
        }

        Assert.True(FedByTheHistory.Length == fed.Count, $"fed: {string.Join(", ", fed)}; projections: {string.Join(", ", names)}");
    }

    [Fact]
    public async Task A_rebuild_that_gives_back_another_chain_is_reported_as_different()
    {
        await HistoryAsync();

        // Someone edits a stored event after the fact: the rebuilt chain no longer matches the live one or its seals.
        await using (var session = Api.Store.LightweightSession())
        {
            session.QueueSqlCommand(
                "update envforge.mt_events set data = jsonb_set(data, '{reason}', '\"edited later\"') where seq_id = (select min(seq_id) from envforge.mt_events where type = 'elevation.denied.v1')");
            await session.SaveChangesAsync();
        }

        var result = await Service<ProjectionRebuilds>().RunAsync(AuditTrailProjection.Name, Guid.NewGuid(), _ => { }, CancellationToken.None);

        Assert.Equal("succeeded", result.Status);
        Assert.False(result.Comparison!.Equal);
        Assert.Equal(1, result.Comparison.Chains!.OrgsDiffering);
        Assert.True(result.Comparison.Chains.SealsBroken >= 1, result.Comparison.Chains.FirstDifference);
    }

    [Fact]
    public async Task Only_operators_rebuild_and_only_projections_that_exist()
    {
        await OrgAsync("alice", "Acme");
        await (await Api.ClientFor("alice").PostAsync($"/admin/projections/{AuditTrailProjection.Name}/rebuild", null)).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor("alice").GetAsync("/admin/projections")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Api.ClientFor(Operator).PostAsync("/admin/projections/NoSuchThing/rebuild", null)).AssertProblemAsync(HttpStatusCode.NotFound, "projection.not_found");
        await (await Api.ClientFor(Operator).GetAsync($"/admin/projections/rebuilds/{Guid.NewGuid()}")).AssertProblemAsync(HttpStatusCode.NotFound, "projection.rebuild_not_found");
    }

    [Fact]
    public async Task The_rebuild_command_prints_progress_and_the_comparison()
    {
        await HistoryAsync();
        var connectionString = Api.Services.GetRequiredService<IConfiguration>().GetConnectionString("Marten")!;
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = await AuditCommand.RebuildAsync(connectionString, "Organization", output, error);

        Assert.True(exit == 0, output + error.ToString());
        Assert.Matches(@"Organization: running \d+/\d+ events", output.ToString());
        Assert.Contains("Organization: the rebuilt read model equals the one it replaced", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await AuditCommand.RebuildAsync(connectionString, "Nope", new StringWriter(), new StringWriter()));
    }
}
