using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Elevation;
using EnvForge.Api.Infrastructure;
using EnvForge.Api.Workspaces;
using EnvForge.Domain.Common;
using EnvForge.Domain.DevLinks;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Audit;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.DevLinks;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Infrastructure;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Testing;

namespace EnvForge.Tests.Audit;

/// <summary>
/// One org's whole story through the real API and the activities' command path (workflows stand in as recorders: no
/// Temporal server here): members, AWS, root policy, a workspace provisioned, woken and put to sleep, a dev link issued,
/// used, narrowed, revoked and then hammered, three grants (closed out, denied, expired), a member leaving. The trail
/// holds exactly that, in order, with outcomes, and nothing secret is anywhere: events, read models, exports, logs.
/// </summary>
public sealed class AuditScenarioTests(PostgresServer postgres) : AuditApiTestBase(postgres)
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/envforge-scenario-access";
    private const string SecretPath = "/envforge/acme/DB_PASSWORD";
    private readonly List<string> _tokens = [];

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Replace(ServiceDescriptor.Singleton<IWorkspaceWorkflows>(new RecordingWorkspaceWorkflows()));
        services.Replace(ServiceDescriptor.Singleton<IElevationWorkflows>(new RecordingElevationWorkflows()));
        services.Replace(ServiceDescriptor.Singleton<IDevLinkWorkflows>(new RecordingDevLinkWorkflows()));
    }

    private HttpClient As(string user)
    {
        var token = ApiFactory.Token(user);
        _tokens.Add(token);
        return Api.WithToken(token);
    }

    /// <summary>What the workflow's activity does: the activities' command path, inside an activity of a workflow run.</summary>
    private Task<StreamDecision<TState>> StepAsync<TCommand, TState>(Decider<TCommand, TState> decider, Guid stream, string workflowId, string activity, TCommand command, string actor)
        where TState : class =>
        new ActivityEnvironment
        {
            Info = ActivityEnvironment.DefaultInfo with { WorkflowId = workflowId, WorkflowRunId = $"run-{stream:N}", ActivityType = activity, ActivityId = "1" },
        }.RunAsync(() => ActivityStreams.DecideAsync(Api.Store, decider, stream, _ => command, actor));

    [Fact]
    public async Task The_trail_tells_the_whole_story_in_order_with_outcomes_and_nothing_secret_anywhere()
    {
        var org = await OrgAsync("alice", "Acme");
        foreach (var (user, role) in new[] { ("adam", "Admin"), ("dora", "Developer"), ("audrey", "Auditor"), ("sue", "Support") })
        {
            await (await As("alice").PostJsonAsync($"/orgs/{org}/members", new { userId = user, role })).AssertStatusAsync(HttpStatusCode.Created);
        }

        await (await As("alice").PutAsJsonAsync($"/orgs/{org}/aws", new { roleArn = RoleArn })).AssertStatusAsync(HttpStatusCode.OK);
        await (await As("adam").PutAsJsonAsync($"/orgs/{org}/root-policy",
            new { mode = "BreakGlass", maximumWindowMinutes = 60, approvalsRequired = 1, pendingDeadlineMinutes = 60 })).AssertStatusAsync(HttpStatusCode.OK);

        // A wallet that pays the minimum runtime (opened and topped up as its workflow and Stripe's webhook would).
        await EnvForge.Tests.Wallet.WalletSeed.FundAsync(Api.Store, org);

        // A workspace: declared through the API, provisioned by its workflow's activities.
        var created = await As("dora").PostJsonAsync($"/orgs/{org}/workspaces", new
        {
            name = "shop",
            repository = "https://git.example.com/acme/shop",
            branch = "main",
            services = new[] { new { name = "web", port = 3000 } },
            secrets = new[] { new { name = "DB_PASSWORD", ssmPath = SecretPath, service = "web" } },
        });
        await created.AssertStatusAsync(HttpStatusCode.Accepted);
        var ws = (await created.ReadAsync<WorkspaceResponse>()).Id;
        var provision = $"workspace-provision-{ws}";
        var now = DateTimeOffset.UtcNow;
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.Start", new StartProvisioning(ws, "system:provisioning", now), "system:provisioning");
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.AssumeRole", new CompleteStep(ws, ProvisioningStep.AssumeRole, "session ef-shop", "system:provisioning", now), "system:provisioning");
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.Terraform", new CompleteStep(ws, ProvisioningStep.Terraform, "3 added", "system:provisioning", now), "system:provisioning");
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.Place", new PlaceWorkspace(ws, "i-0123456789abcdef0", "us-east-1", null, "system:provisioning", now), "system:provisioning");
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.Verify", new CompleteStep(ws, ProvisioningStep.Verify, "ec2 running, ssm online", "system:provisioning", now), "system:provisioning");
        await StepAsync(WorkspaceDecider.Decider, ws, provision, "Provisioning.Ready", new MarkReady(ws, ["ec2", "ssm"], "system:provisioning", now), "system:provisioning");
        var runtime = $"workspace-runtime-{ws}";
        await StepAsync(WorkspaceDecider.Decider, ws, runtime, "Runtime.Wake", new Wake(ws, WakeTrigger.Api, ["DB_PASSWORD"], true, "system:runtime", now), "system:runtime");

        // A dev link: issued, first used through the gateway, narrowed, revoked, then refused in a burst.
        var issued = await As("dora").PostJsonAsync($"/orgs/{org}/workspaces/{ws}/dev-links", new { service = "web", surfaces = (string[])["Web", "Api"], expiresInMinutes = 120 });
        await issued.AssertStatusAsync(HttpStatusCode.Created);
        var link = await issued.ReadAsync<IssuedDevLinkResponse>();
        _tokens.Add(Regex.Match(link.Url, "token=([^&]+)").Groups[1].Value);
        await Service<StreamCommands>().DecideAsync(DevLinkDecider.Decider, link.Link.Id,
            state => new RecordDevLinkUse(link.Link.Id, 1, "gateway", DateTimeOffset.UtcNow), new WriteContext("gateway"), CancellationToken.None);
        await (await As("dora").PutAsJsonAsync($"/orgs/{org}/dev-links/{link.Link.Id}/surfaces", new { surfaces = (string[])["Web"] })).AssertStatusAsync(HttpStatusCode.OK);
        await StepAsync(WorkspaceDecider.Decider, ws, runtime, "Runtime.Sleep", new Sleep(ws, "idle for 30 min", "system:runtime", now), "system:runtime");
        await (await As("adam").PostJsonAsync($"/orgs/{org}/dev-links/{link.Link.Id}/revoke", new { reason = "review done" })).AssertStatusAsync(HttpStatusCode.OK);
        for (var i = 0; i < 25; i++)
        {
            Service<IGatewayRefusals>().Refused(org, link.Link.Id, ws, "revoked");
        }

        await Api.CatchUpAsync();
        await Service<RefusalRecorder>().FlushAsync(CancellationToken.None);

        // Root: one grant approved, activated and closed out; one denied; one left to expire.
        var grants = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var requested = await As("dora").PostJsonAsync($"/orgs/{org}/workspaces/{ws}/elevations", new { mode = "BreakGlass", windowMinutes = 30, reason = $"debug the kernel ({i})" });
            await requested.AssertStatusAsync(HttpStatusCode.Accepted);
            grants.Add((await requested.ReadAsync<ElevationResponse>()).Id);
            var elevation = $"elevation-{grants[i]}";
            switch (i)
            {
                case 0:
                    await (await As("adam").PostJsonAsync($"/orgs/{org}/elevations/{grants[i]}/approve", new { })).AssertStatusAsync(HttpStatusCode.OK);
                    await StepAsync(ElevationDecider.Decider, grants[i], elevation, "Elevation.Activate", new ActivateElevation(grants[i], ElevationActivities.Actor, DateTimeOffset.UtcNow), ElevationActivities.Actor);
                    await StepAsync(ElevationDecider.Decider, grants[i], elevation, "Elevation.CloseOut", new CloseOutElevation(grants[i], ElevationActivities.Actor, DateTimeOffset.UtcNow.AddHours(1)), ElevationActivities.Actor);
                    break;
                case 1:
                    await (await As("adam").PostJsonAsync($"/orgs/{org}/elevations/{grants[i]}/deny", new { reason = "not during the freeze" })).AssertStatusAsync(HttpStatusCode.OK);
                    break;
                default:
                    await StepAsync(ElevationDecider.Decider, grants[i], elevation, "Elevation.ExpirePending", new ExpirePendingElevation(grants[i], ElevationActivities.Actor, DateTimeOffset.UtcNow.AddHours(2)), ElevationActivities.Actor);
                    break;
            }
        }

        await (await As("alice").DeleteAsync($"/orgs/{org}/members/sue")).AssertStatusAsync(HttpStatusCode.NoContent);

        await SealAsync();
        var trail = await TrailAsync(org);

        (string, string)[] story =
        [
            ("organization.registered", "success"), ("organization.member_added", "success"),
            ("organization.member_added", "success"), ("organization.member_added", "success"), ("organization.member_added", "success"),
            ("organization.member_added", "success"), ("organization.aws_connected", "success"), ("organization.root_policy_changed", "success"),
            ("wallet.opened", "success"), ("wallet.payment_method_set", "success"), ("wallet.top_up_requested", "success"),
            ("wallet.top_up_payment_started", "success"), ("wallet.credited", "success"),
            ("workspace.created", "success"), ("workspace.provisioning_started", "success"), ("workspace.provisioning_step_completed", "success"),
            ("workspace.provisioning_step_completed", "success"), ("workspace.placed", "success"), ("workspace.provisioning_step_completed", "success"),
            ("workspace.ready", "success"), ("workspace.woke", "success"),
            ("dev_link.issued", "success"), ("dev_link.first_used", "success"), ("dev_link.surfaces_changed", "success"), ("workspace.slept", "success"),
            ("dev_link.revoked", "success"), ("dev_link.requests_refused", "refused"),
            ("elevation.requested", "success"), ("elevation.approved", "success"), ("elevation.activated", "success"), ("elevation.closed_out", "success"),
            ("elevation.requested", "success"), ("elevation.denied", "denied"),
            ("elevation.requested", "success"), ("elevation.expired", "expired"),
            ("organization.member_removed", "success"),
        ];
        Assert.Equal(story, trail.Select(e => (e.Action, e.Outcome)));
        Assert.Equal(Enumerable.Range(1, story.Length).Select(i => (long)i), trail.Select(e => e.ChainIndex));

        // Who, in what role, from where, about what.
        var byAction = (string action) => trail.First(e => e.Action == action);
        Assert.Equal(("adam", "Admin", "user"), (byAction("organization.root_policy_changed").Actor, byAction("organization.root_policy_changed").ActorRole, byAction("organization.root_policy_changed").ActorKind));
        Assert.Equal(("dora", "Developer"), (byAction("workspace.created").Actor, byAction("workspace.created").ActorRole));
        var woke = byAction("workspace.woke");
        Assert.Equal(("system:runtime", "system", null), (woke.Actor, woke.ActorKind, woke.ActorRole));
        Assert.Equal(($"{runtime}/run-{ws:N}", "Runtime.Wake#1"), (woke.CorrelationId, woke.CausationId));
        Assert.Equal("DB_PASSWORD", woke.Detail["secretsInjected"]);
        Assert.All(trail.Where(e => e.Action.StartsWith("workspace.", StringComparison.Ordinal) || e.Action.StartsWith("dev_link.", StringComparison.Ordinal)
            || e.Action.StartsWith("elevation.", StringComparison.Ordinal)), e => Assert.Equal(ws, e.WorkspaceId));
        Assert.Equal(link.Link.Id.ToString(), byAction("dev_link.revoked").TargetId);
        Assert.Equal("25", byAction("dev_link.requests_refused").Detail["count"]);
        Assert.Equal(("gateway", "gateway"), (byAction("dev_link.first_used").Actor, byAction("dev_link.first_used").ActorKind));
        Assert.Equal("not during the freeze", byAction("elevation.denied").Detail["reason"]);
        Assert.Equal("****9012", byAction("organization.aws_connected").Detail["accountHint"]);
        Assert.Equal(("100000", "100000"), (byAction("wallet.credited").Detail["amount"], byAction("wallet.credited").Detail["balanceAfter"]));
        Assert.Empty(byAction("wallet.payment_method_set").Detail); // which card is Stripe's business

        // Support's questions, each one query.
        Assert.Equal(3, (await TrailAsync(org, "outcome=success&action=elevation.requested")).Count);
        Assert.Single(await TrailAsync(org, "outcome=denied"));
        Assert.Equal(5, (await TrailAsync(org, $"targetType=dev_link&targetId={link.Link.Id}")).Count);
        Assert.Equal(22, (await TrailAsync(org, $"workspaceId={ws}")).Count);

        // The whole story exports and verifies.
        var keys = await PublicKeysAsync();
        var jsonl = await ExportAsync(org, "audrey");
        var csv = await ExportAsync(org, "audrey", "csv");
        Assert.True(Verify(jsonl, keys).Valid, Verify(jsonl, keys).Describe());
        Assert.True(Verify(csv, keys).Valid, Verify(csv, keys).Describe());

        await AssertNothingSecretAsync([jsonl, csv]);
    }

    /// <summary>Every event (data and metadata), every document of every read model, the exports and every log line of the host.</summary>
    private async Task AssertNothingSecretAsync(IEnumerable<string> exports)
    {
        await using var session = Api.Store.QuerySession();
        var stored = new List<string>(await session.AdvancedSql.QueryAsync<string>(
            "select concat_ws(' ', data::text, headers::text, correlation_id, causation_id, user_name) from envforge.mt_events", CancellationToken.None));
        var tables = await session.AdvancedSql.QueryAsync<string>(
            "select table_name from information_schema.tables where table_schema = 'envforge' and table_name like 'mt_doc_%'", CancellationToken.None);
        foreach (var table in tables)
        {
            stored.AddRange(await session.AdvancedSql.QueryAsync<string>($"select data::text from envforge.{table}", CancellationToken.None));
        }

        Assert.Contains(tables, t => t == "mt_doc_auditentry");
        var everything = stored.Concat(exports).Concat(LogLines).ToList();
        Assert.True(everything.Count > 70, $"only {everything.Count} texts scanned");
        var dataDirectory = Service<Microsoft.Extensions.Configuration.IConfiguration>()["ENVFORGE_DATA_DIR"]!;
        var keyMaterial = Directory.GetFiles(dataDirectory).SelectMany(File.ReadAllLines).Select(l => l.Split('=', 2)[^1]).Where(k => k.Length >= 40).ToList();
        Assert.NotEmpty(keyMaterial);

        string[] forbidden = [RoleArn, "123456789012", .. _tokens, .. keyMaterial, "efl1.", "eft1.", "efu1.", "ef_link=", "Bearer ", "eyJ"];
        foreach (var text in everything)
        {
            foreach (var secret in forbidden)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"found '{secret[..Math.Min(12, secret.Length)]}...' in: {text[..Math.Min(300, text.Length)]}");
            }

            Assert.DoesNotMatch(@"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text);
            Assert.DoesNotMatch(@"arn:aws:iam::\d{12}:role/", text);
        }
    }
}
