using System.Net;
using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Audit;

/// <summary>Refusals that matter reach the trail as bursts, never one entry per request: refused gateway requests per link, forged webhooks.</summary>
public sealed class AuditRefusalTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    [Fact]
    public async Task A_burst_of_refused_gateway_requests_is_one_entry_per_link_per_window_and_a_stray_refusal_none()
    {
        var org = await OrgAsync("alice", "Acme");
        var (link, quiet, workspace) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var gateway = Service<IGatewayRefusals>();
        for (var i = 0; i < 40; i++)
        {
            gateway.Refused(org, link, workspace, "revoked");
        }

        gateway.Refused(org, link, workspace, "blocked_path");
        gateway.Refused(org, link, workspace, "/shell?token=efl1.secret"); // not a code: never reaches the trail as given
        gateway.Refused(org, quiet, workspace, "revoked");

        Assert.Equal(1, await Service<RefusalRecorder>().FlushAsync(CancellationToken.None));
        Assert.Equal(0, await Service<RefusalRecorder>().FlushAsync(CancellationToken.None));

        var entry = Assert.Single(await TrailAsync(org, "action=dev_link.requests_refused"));
        Assert.Equal((AuditOutcomes.Refused, "dev_link", link.ToString(), workspace), (entry.Outcome, entry.TargetType, entry.TargetId, entry.WorkspaceId));
        Assert.Equal("42", entry.Detail["count"]);
        Assert.Equal("blocked_path:1,other:1,revoked:40", entry.Detail["reasons"]);
        Assert.Equal(("gateway", "gateway"), (entry.Actor, entry.ActorKind));
        Assert.DoesNotContain(await TrailAsync(org), e => e.TargetId == quiet.ToString());
        Assert.DoesNotContain("efl1", System.Text.Json.JsonSerializer.Serialize(await TrailAsync(org)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_webhooks_go_to_the_platform_trail_that_only_operators_read()
    {
        await OrgAsync("alice", "Acme");
        var webhooks = Service<IWebhookRefusals>();
        webhooks.Refused("stripe", "signature_invalid");
        webhooks.Refused("stripe", "signature_invalid");
        webhooks.Refused("stripe", "timestamp_stale");
        await Service<RefusalRecorder>().FlushAsync(CancellationToken.None);

        var platform = await TrailAsync(Guid.Empty);
        Assert.Equal(2, platform.Count);
        Assert.All(platform, e => Assert.Equal(("wallet.webhook_refused", AuditOutcomes.Refused, "webhook", "stripe"), (e.Action, e.Outcome, e.TargetType, e.TargetId)));
        Assert.Equal(["2", "1"], platform.Select(e => e.Detail["count"]));
        Assert.Equal(["signature_invalid", "timestamp_stale"], platform.Select(e => e.Detail["reason"]));
        Assert.Equal([1L, 2L], platform.Select(e => e.ChainIndex));

        await (await Api.ClientFor("alice").GetAsync($"/orgs/{Guid.Empty}/audit")).AssertProblemAsync(HttpStatusCode.NotFound, "organization.not_found");
        var export = await ExportAsync(Guid.Empty, Operator);
        Assert.True(Verify(export, await PublicKeysAsync()).Valid);
    }
}
