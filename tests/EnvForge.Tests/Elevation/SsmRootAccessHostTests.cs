using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using EnvForge.Domain.Elevation;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Infrastructure;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Elevation;
using EnvForge.Workflows.Security;
using EnvForge.Workflows.Workspaces;
using Marten;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using Temporalio.Testing;
using ServiceSpec = EnvForge.Domain.Workspaces.ServiceSpec;

namespace EnvForge.Tests.Elevation;

/// <summary>
/// Root on a workspace's host through SSM Run Command, with the real SDK clients against the wire-level AWS stand-in:
/// the org's role is assumed (STS), the script is sent to the workspace's instance (SendCommand) and its result polled
/// (GetCommandInvocation). Neither the scripts, the failures nor the stream may carry a credential or the role ARN.
/// </summary>
public sealed class SsmRootAccessHostTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/envforge-access";
    private const string PlatformKeyId = "AKIDPLATFORMEXAMPLE";
    private const string PlatformSecret = "platform-secret-key-never-logged";
    private const string InstanceId = "i-0e1e2d3c4b5a69788";
    private const string HostUser = "dev";
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HalfHour = TimeSpan.FromMinutes(30);

    private readonly FieldEncryption _encryption = new(new Dictionary<string, byte[]> { ["k1"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }, "k1");
    private readonly Guid _grant = Guid.CreateVersion7();
    private readonly List<string> _heartbeats = [];
    private DocumentStore _store = null!;
    private AwsStub _aws = null!;
    private Workspace _workspace = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync(nameof(SsmRootAccessHostTests));
        _store = DocumentStore.For(o => EventStore.Configure(o, connectionString));
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        _aws = await AwsStub.StartAsync();

        var org = Guid.CreateVersion7();
        var id = Guid.CreateVersion7();
        IWorkspaceEvent[] history =
        [
            new WorkspaceCreated(id, org, "acme-dev", "https://git.example.com/acme/app", "main", [new ServiceSpec("web", 3000)], [], HostUser, T0),
            new ProvisioningStarted(id, org, HostUser, T0),
            new WorkspacePlaced(id, org, InstanceId, "us-east-1", "system", T0),
        ];
        await using var session = _store.LightweightSession();
        session.Events.StartStream<Organization>(org,
            new OrganizationRegistered(org, "Acme", ExternalIds.New(), "alice", T0),
            new MemberAdded(org, "alice", null, Role.Owner, "alice", T0),
            new AwsAccountConnected(org, _encryption.Seal(RoleArn, FieldEncryption.RoleArnPurpose(org)), RoleArns.AccountHint(RoleArn), "alice", T0),
            new RootPolicyChanged(org, new RootPolicy(RootMode.BreakGlass, TimeSpan.FromHours(1), 1, TimeSpan.FromHours(1)), "alice", T0));
        session.Events.StartStream<Workspace>(id, history);
        await session.SaveChangesAsync();
        _workspace = history.Aggregate((Workspace?)null, Workspace.Evolve)!;
    }

    private SsmRootAccessHost Host(TimeProvider time, TimeSpan? commandTimeout = null)
    {
        var aws = Options.Create(_aws.Options(maxErrorRetry: 0));
        var access = new OrgAwsAccess(_store, new StsRoleAssumer(aws, new BasicAWSCredentials(PlatformKeyId, PlatformSecret)), _encryption);
        var options = new ElevationOptions
        {
            HostUser = HostUser,
            CommandPollInterval = TimeSpan.FromMilliseconds(10),
            CommandTimeout = commandTimeout ?? TimeSpan.FromMinutes(2),
        };
        return new SsmRootAccessHost(access, aws, Options.Create(options), time);
    }

    private ActivityEnvironment Environment() => new() { Heartbeater = details => _heartbeats.Add(string.Join(" ", details)) };

    private static string DropIn(Guid grantId) => $"/etc/sudoers.d/envforge-grant-{grantId:N}";

    private static IReadOnlyList<string> Commands(AwsStubRequest sendCommand) =>
        [.. JsonNode.Parse(sendCommand.Body!)!["Parameters"]!["commands"]!.AsArray().Select(c => c!.GetValue<string>())];

    [Fact]
    public async Task Grant_sends_one_shell_script_to_the_workspace_instance_and_polls_until_success()
    {
        _aws.ScriptInvocations(AwsStubInvocation.InProgress, AwsStubInvocation.InProgress, AwsStubInvocation.Success);

        await Environment().RunAsync(() => Host(new FixedClock(T0)).GrantAsync(_workspace, _grant, T0 + HalfHour, CancellationToken.None));

        var send = Assert.Single(_aws.RequestsFor("SendCommand"));
        var body = JsonNode.Parse(send.Body!)!;
        Assert.Equal("AWS-RunShellScript", body["DocumentName"]!.GetValue<string>());
        Assert.Equal([InstanceId], body["InstanceIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Contains($"{_grant:N}", body["Comment"]!.GetValue<string>(), StringComparison.Ordinal);
        var file = DropIn(_grant);
        var commands = Commands(send);
        Assert.Equal("set -eu", commands[0]);
        Assert.Contains(commands, c => c.Contains($"'{HostUser} ALL=(ALL) NOPASSWD: ALL' > {file}.tmp", StringComparison.Ordinal));
        Assert.Contains($"visudo -cf {file}.tmp", commands);
        Assert.Contains($"mv -f {file}.tmp {file}", commands);
        // The host takes root away by itself at expiry, should EnvForge not reach it then.
        Assert.Equal($"systemd-run --unit envforge-grant-{_grant:N}-expiry --on-active=1800s /bin/rm -f {file}", commands[^1]);

        var polls = _aws.RequestsFor("GetCommandInvocation");
        Assert.Equal(3, polls.Count);
        Assert.All(polls, p => Assert.Equal(InstanceId, JsonNode.Parse(p.Body!)!["InstanceId"]!.GetValue<string>()));
        Assert.Single(polls.Select(p => JsonNode.Parse(p.Body!)!["CommandId"]!.GetValue<string>()).Distinct());
        Assert.True(_heartbeats.Count >= 3, "the activity heartbeats while it waits for the host");
    }

    [Fact]
    public async Task Grant_keeps_polling_while_ssm_has_not_registered_the_invocation_yet()
    {
        _aws.DelayInvocationRegistration(2);

        await Environment().RunAsync(() => Host(new FixedClock(T0)).GrantAsync(_workspace, _grant, T0 + HalfHour, CancellationToken.None));

        Assert.Equal(3, _aws.RequestsFor("GetCommandInvocation").Count);
        Assert.Single(_aws.RequestsFor("SendCommand"));
    }

    [Fact]
    public async Task A_failed_invocation_is_a_retryable_failure_that_names_no_arn_or_credential()
    {
        _aws.ScriptInvocations(AwsStubInvocation.InProgress, AwsStubInvocation.Failed(responseCode: 1));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() =>
            Environment().RunAsync(() => Host(new FixedClock(T0)).GrantAsync(_workspace, _grant, T0 + HalfHour, CancellationToken.None)));

        Assert.Equal("elevation.host_command_failed", failure.ErrorType);
        Assert.False(failure.NonRetryable);
        Assert.Contains("Failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("exit 1", failure.Message, StringComparison.Ordinal);
        AssertNoSecrets(failure.ToString());
    }

    [Theory]
    [InlineData("SendCommand")]
    [InlineData("GetCommandInvocation")]
    public async Task An_aws_refusal_reaches_the_failure_as_its_error_code_only(string action)
    {
        _aws.FailSsm(action, "AccessDeniedException",
            $"User: arn:aws:sts::123456789012:assumed-role/envforge-access/ws-{_workspace.Id:D} is not authorized to perform: ssm:{action} on resource: {RoleArn}");

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() =>
            Environment().RunAsync(() => Host(new FixedClock(T0)).GrantAsync(_workspace, _grant, T0 + HalfHour, CancellationToken.None)));

        Assert.False(failure.NonRetryable);
        Assert.Contains("AccessDeniedException", failure.Message, StringComparison.Ordinal);
        AssertNoSecrets(failure.ToString());
    }

    [Fact]
    public async Task A_command_the_host_never_finishes_fails_retryably_after_the_command_timeout()
    {
        _aws.ScriptInvocations(AwsStubInvocation.InProgress);

        // Each reading of the clock is 20 s later: the deadline (timeout + 30 s grace) passes after a few polls.
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => Environment().RunAsync(() =>
            Host(new SteppingClock(T0, TimeSpan.FromSeconds(20)), TimeSpan.FromMinutes(1)).RevokeAsync(_workspace, _grant, CancellationToken.None)));

        Assert.Equal("elevation.host_command_timeout", failure.ErrorType);
        Assert.False(failure.NonRetryable);
        Assert.InRange(_aws.RequestsFor("GetCommandInvocation").Count, 2, 10);
    }

    [Fact]
    public async Task Revoke_removes_the_drop_in_and_the_expiry_timer()
    {
        await Environment().RunAsync(() => Host(new FixedClock(T0)).RevokeAsync(_workspace, _grant, CancellationToken.None));

        var send = Assert.Single(_aws.RequestsFor("SendCommand"));
        Assert.Equal([InstanceId], JsonNode.Parse(send.Body!)!["InstanceIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        var commands = Commands(send);
        var file = DropIn(_grant);
        Assert.Contains($"rm -f {file} {file}.tmp", commands);
        Assert.Contains($"systemctl stop envforge-grant-{_grant:N}-expiry.timer envforge-grant-{_grant:N}-expiry.service 2>/dev/null || true", commands);
        Assert.Contains(commands, c => c.Contains($"/run/sudo/ts/{HostUser}", StringComparison.Ordinal)); // cached sudo credentials
        Assert.DoesNotContain(commands, c => c.Contains("NOPASSWD", StringComparison.Ordinal));
        Assert.Single(_aws.RequestsFor("GetCommandInvocation"));
    }

    [Fact]
    public async Task Ssm_is_called_with_the_assumed_role_credentials_not_the_platforms()
    {
        await Environment().RunAsync(() => Host(new FixedClock(T0)).GrantAsync(_workspace, _grant, T0 + HalfHour, CancellationToken.None));

        var assume = Assert.Single(_aws.RequestsFor("AssumeRole"));
        Assert.Contains($"Credential={PlatformKeyId}/", assume.Header("Authorization"), StringComparison.Ordinal);
        Assert.Equal(RoleArn, assume.Form["RoleArn"]);
        var issued = Assert.Single(_aws.Issued);
        Assert.StartsWith("ASIASTUB", issued.AccessKeyId, StringComparison.Ordinal);
        var ssm = _aws.Requests.Where(r => r.Service == "ssm").ToList();
        Assert.Equal(["SendCommand", "GetCommandInvocation"], ssm.Select(r => r.Action));
        Assert.All(ssm, r =>
        {
            Assert.Contains($"Credential={issued.AccessKeyId}/", r.Header("Authorization"), StringComparison.Ordinal);
            Assert.DoesNotContain(PlatformKeyId, r.Header("Authorization"), StringComparison.Ordinal);
            Assert.Equal(issued.SessionToken, r.Header("X-Amz-Security-Token"));
        });
        AssertNoSecrets(ssm[0].Body!); // the script itself carries nothing secret
    }

    [Fact]
    public async Task A_grant_run_end_to_end_leaves_no_credential_or_role_arn_on_the_stream()
    {
        var clock = new FixedClock(T0.AddMinutes(10));
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream<RootElevation>(_grant,
                new ElevationRequested(_grant, _workspace.OrgId, _workspace.Id, HostUser, "need dmesg", null, RootMode.BreakGlass, HalfHour, 1, T0.AddHours(1), HostUser, T0),
                new ElevationApproved(_grant, _workspace.OrgId, "ada", HalfHour, 1, 1, "ada", T0.AddMinutes(5)));
            await session.SaveChangesAsync();
        }

        var activities = new ElevationActivities(_store, Host(clock), clock);
        var input = new ElevationInput(_grant, _workspace.OrgId, _workspace.Id, T0.AddHours(1).UtcDateTime);
        var env = Environment();

        Assert.Equal(ElevationStatus.Active, (await env.RunAsync(() => activities.ActivateAsync(input))).Status);
        clock.Now = T0.AddMinutes(40);
        Assert.Equal(ElevationStatus.ClosedOut, (await env.RunAsync(() => activities.CloseOutAsync(input, null))).Status);

        Assert.Equal(2, _aws.RequestsFor("SendCommand").Count); // grant, then closeout
        Assert.Equal(2, _aws.Issued.Count);
        await using var query = _store.QuerySession();
        var stored = await query.AdvancedSql.QueryAsync<string>(
            "select data::text from envforge.mt_events union all select data::text from envforge.mt_doc_rootelevation " +
            "union all select data::text from envforge.mt_doc_elevationrecord", CancellationToken.None);
        Assert.Contains(stored, s => s.Contains("closedOut", StringComparison.OrdinalIgnoreCase));
        AssertNoSecrets(string.Join("\n", stored.Concat(_heartbeats)));
    }

    [Fact]
    public async Task The_generated_scripts_are_valid_bash()
    {
        var grant = SsmRootAccessHost.GrantScript(_grant, HostUser, T0 + HalfHour, 1800);
        var revoke = SsmRootAccessHost.RevokeScript(_grant, HostUser);

        foreach (var script in new[] { grant, revoke })
        {
            var path = Path.Combine(Path.GetTempPath(), $"envforge-{Guid.NewGuid():N}.sh");
            await File.WriteAllTextAsync(path, string.Join('\n', script) + "\n");
            try
            {
                using var bash = Process.Start(new ProcessStartInfo("/bin/bash", ["-n", path]) { RedirectStandardError = true })!;
                var errors = await bash.StandardError.ReadToEndAsync();
                await bash.WaitForExitAsync();
                Assert.True(bash.ExitCode == 0, $"bash -n rejected the script: {errors}");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>No issued key, secret or session token, no role ARN or account id, no platform secret.</summary>
    private void AssertNoSecrets(string text)
    {
        var secrets = _aws.Issued.SelectMany(c => new[] { c.AccessKeyId, c.SecretAccessKey, c.SessionToken })
            .Concat([RoleArn, "123456789012", PlatformSecret, "StubSecretAccessKey", "StubSessionToken"]);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    /// <summary>A clock that stands still unless the test moves it (timers still run on real time).</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Every reading is <paramref name="step"/> later than the one before.</summary>
    private sealed class SteppingClock(DateTimeOffset start, TimeSpan step) : TimeProvider
    {
        private long _reads;

        public override DateTimeOffset GetUtcNow() => start + (step * Interlocked.Increment(ref _reads));
    }

    public async ValueTask DisposeAsync()
    {
        if (_aws is not null)
        {
            await _aws.DisposeAsync();
        }

        _store?.Dispose();
    }
}
