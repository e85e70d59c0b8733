using System.Collections.Concurrent;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Terraform;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Terraform;

/// <summary>The runner against a stand-in terraform executable: arguments, environment, parsing, re-assume, cancellation.</summary>
public sealed class ProcessTerraformRunnerTests
{
    private static readonly Guid WorkspaceId = Guid.Parse("0190c0de-7a1e-7c3b-9f00-0123456789ab");

    private static readonly Dictionary<string, string> Variables = new()
    {
        ["workspace_id"] = WorkspaceId.ToString(),
        ["region"] = "us-east-1",
        ["repository"] = "https://git.example.com/acme/shop.git",
    };

    [Fact]
    public async Task Apply_streams_progress_and_reports_counts_output_names_and_instance_ids()
    {
        using var fake = FakeTerraform.Create();
        var progress = new ConcurrentQueue<TerraformProgress>();

        var outcome = await Runner(fake.Options()).RunAsync(Apply(), Credentials(Session(1)).Next, progress.Enqueue, default);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Null(outcome.Error);
        Assert.Equal([FakeTerraform.DefaultInstanceId], outcome.InstanceIds);
        Assert.Equal("apply: 1 added, 0 changed, 0 destroyed; outputs: instance_ids, private_ip (+1 sensitive)", outcome.Summary);
        Assert.Equal(
            ["version", "planned_change", "change_summary", "apply_start", "apply_progress", "apply_complete", "change_summary", "outputs"],
            progress.Select(p => p.Kind));
        Assert.Contains(new TerraformProgress("apply_complete", $"aws_instance.workspace: Creation complete after 32s [id={FakeTerraform.DefaultInstanceId}]"), progress);
    }

    [Fact]
    public async Task Apply_never_passes_on_a_sensitive_output()
    {
        using var fake = FakeTerraform.Create();
        var progress = new ConcurrentQueue<TerraformProgress>();

        var outcome = await Runner(fake.Options()).RunAsync(Apply(), Credentials(Session(1)).Next, progress.Enqueue, default);

        var everything = string.Join("\n", progress.Select(p => p.Message).Append(outcome.Summary).Concat(outcome.InstanceIds));
        Assert.DoesNotContain(FakeTerraform.SensitiveValue, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("root_password", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.1.23", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_runs_init_then_apply_with_json_auto_approve_and_the_variables()
    {
        using var fake = FakeTerraform.Create();

        await Runner(fake.Options()).RunAsync(Apply(), Credentials(Session(1)).Next, _ => { }, default);

        var calls = fake.Calls();
        Assert.Equal(["init", "apply"], calls.Select(c => c.Command));
        Assert.Equal(["init", "-input=false", "-no-color"], calls[0].Arguments);
        Assert.Equal(
            [
                "apply", "-auto-approve", "-json", "-input=false",
                "-var", "region=us-east-1",
                "-var", "repository=https://git.example.com/acme/shop.git",
                "-var", $"workspace_id={WorkspaceId}",
            ],
            calls[1].Arguments);
    }

    [Fact]
    public async Task Destroy_runs_destroy_and_reports_what_it_removed()
    {
        using var fake = FakeTerraform.Create();

        var outcome = await Runner(fake.Options()).RunAsync(
            new TerraformRun(WorkspaceId, TerraformCommand.Destroy, "us-east-1", Variables), Credentials(Session(1)).Next, _ => { }, default);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal("destroy: 0 added, 0 changed, 1 destroyed; outputs: none", outcome.Summary);
        Assert.Equal(["destroy", "-auto-approve", "-json", "-input=false"], fake.Calls()[^1].Arguments.Take(4));
    }

    [Fact]
    public async Task Credentials_reach_terraform_only_through_its_environment()
    {
        using var fake = FakeTerraform.Create();
        var module = ModuleDirectory(fake);
        var session = Session(1);

        var outcome = await Runner(fake.Options(module)).RunAsync(Apply(), Credentials(session).Next, _ => { }, default);

        Assert.True(outcome.Succeeded, outcome.Error);
        foreach (var call in fake.Calls())
        {
            Assert.Equal(session.AccessKeyId, call.Environment["AWS_ACCESS_KEY_ID"]);
            Assert.Equal(session.SecretAccessKey, call.Environment["AWS_SECRET_ACCESS_KEY"]);
            Assert.Equal(session.SessionToken, call.Environment["AWS_SESSION_TOKEN"]);
            Assert.Equal("us-east-1", call.Environment["AWS_REGION"]);
            Assert.DoesNotContain(call.Arguments, a => a.Contains(session.AccessKeyId, StringComparison.Ordinal)
                || a.Contains(session.SecretAccessKey, StringComparison.Ordinal)
                || a.Contains(session.SessionToken, StringComparison.Ordinal));

            // The module was copied in, and nothing the runner put in the working directory holds a credential.
            Assert.True(File.Exists(Path.Combine(call.Snapshot, "main.tf")));
            Assert.True(File.Exists(Path.Combine(call.Snapshot, "modules", "vm", "vm.tf")));
            Assert.False(Directory.Exists(Path.Combine(call.Snapshot, ".terraform")));
            foreach (var file in Directory.EnumerateFiles(call.Snapshot, "*", SearchOption.AllDirectories))
            {
                var content = await File.ReadAllTextAsync(file);
                Assert.DoesNotContain(session.SecretAccessKey, content, StringComparison.Ordinal);
                Assert.DoesNotContain(session.SessionToken, content, StringComparison.Ordinal);
                Assert.DoesNotContain(session.AccessKeyId, content, StringComparison.Ordinal);
            }

            Assert.StartsWith(fake.WorkRoot, call.WorkingDirectory, StringComparison.Ordinal);
            Assert.False(Directory.Exists(call.WorkingDirectory), "the working directory outlived the run");
        }

        Assert.Single(fake.Calls().Select(c => c.WorkingDirectory).Distinct());
        Assert.Empty(Directory.EnumerateFileSystemEntries(fake.WorkRoot));
    }

    [Fact]
    public async Task Failure_mid_apply_reports_a_secret_free_error()
    {
        using var fake = FakeTerraform.Create(new FakeTerraformScenario(FailMidApply: true));
        var session = Session(1);
        var progress = new ConcurrentQueue<TerraformProgress>();

        var outcome = await Runner(fake.Options()).RunAsync(Apply(), Credentials(session).Next, progress.Enqueue, default);

        Assert.False(outcome.Succeeded);
        Assert.StartsWith(
            "creating EC2 Instance: operation error EC2: RunInstances, api error UnauthorizedOperation: You are not authorized to perform this operation. Credential=[redacted]/20261122",
            outcome.Error,
            StringComparison.Ordinal);
        Assert.EndsWith("Encoded authorization failure message: [redacted]", outcome.Error, StringComparison.Ordinal);
        Assert.Empty(outcome.InstanceIds);
        var everything = string.Join("\n", progress.Select(p => p.Message).Append(outcome.Summary).Append(outcome.Error));
        Assert.DoesNotContain(session.AccessKeyId, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(session.SecretAccessKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(session.SessionToken, everything, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fake.WorkRoot));
    }

    [Fact]
    public async Task Failure_that_is_not_about_credentials_is_not_run_again()
    {
        using var fake = FakeTerraform.Create(new FakeTerraformScenario(FailMidApply: true));
        var credentials = Credentials(Session(1), Session(2));

        await Runner(fake.Options()).RunAsync(Apply(), credentials.Next, _ => { }, default);

        Assert.Equal(1, credentials.Calls);
        Assert.Equal(["init", "apply"], fake.Calls().Select(c => c.Command));
    }

    [Fact]
    public async Task Run_that_outlives_its_credentials_reassumes_and_applies_again()
    {
        using var fake = FakeTerraform.Create(new FakeTerraformScenario(ExpiredTokenRuns: 1, SecondsBeforeExpiredToken: 1.5));
        var first = Session(1) with { Expiration = DateTimeOffset.UtcNow.AddSeconds(1) };
        var second = Session(2);
        var credentials = Credentials(first, second);
        var progress = new ConcurrentQueue<TerraformProgress>();

        var outcome = await Runner(fake.Options()).RunAsync(Apply(), credentials.Next, progress.Enqueue, default);

        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal(2, credentials.Calls);
        var applies = fake.Calls().Where(c => c.Command == "apply").ToList();
        Assert.Equal(2, applies.Count);
        Assert.Equal(first.AccessKeyId, applies[0].Environment["AWS_ACCESS_KEY_ID"]);
        Assert.Equal(second.AccessKeyId, applies[1].Environment["AWS_ACCESS_KEY_ID"]);
        Assert.Equal(second.SessionToken, applies[1].Environment["AWS_SESSION_TOKEN"]);
        Assert.Single(fake.Calls(), c => c.Command == "init");
        Assert.Contains(progress, p => p.Kind == "reassume");
        Assert.Equal([FakeTerraform.DefaultInstanceId], outcome.InstanceIds);
    }

    [Fact]
    public async Task Reassuming_gives_up_after_two_reruns()
    {
        using var fake = FakeTerraform.Create(new FakeTerraformScenario(ExpiredTokenRuns: 10));
        var credentials = Credentials(Session(1), Session(2), Session(3), Session(4));

        var outcome = await Runner(fake.Options()).RunAsync(Apply(), credentials.Next, _ => { }, default);

        Assert.False(outcome.Succeeded);
        Assert.Equal(3, credentials.Calls);
        Assert.Equal(3, fake.Calls().Count(c => c.Command == "apply"));
        Assert.StartsWith("credentials expired during terraform apply 3 times: ", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("ExpiredToken", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_terraform_process_tree_and_cleans_up()
    {
        using var fake = FakeTerraform.Create(new FakeTerraformScenario(Hang: true));
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource();

        var run = Runner(fake.Options()).RunAsync(
            Apply(), Credentials(Session(1)).Next, p => { if (p.Kind == "apply_start") { started.TrySetResult(); } }, cancel.Token);

        // Progress arrives while terraform is still running: the output is streamed, not buffered until exit.
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var pids = await Eventually(fake.HangingProcessIds);
        Assert.True(IsAlive(pids.Terraform) && IsAlive(pids.Child));

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        await Eventually(() => IsAlive(pids.Terraform) || IsAlive(pids.Child) ? null : (bool?)true);
        Assert.Empty(Directory.EnumerateFileSystemEntries(fake.WorkRoot));
    }

    [Fact]
    public async Task A_variable_name_terraform_would_misread_is_refused()
    {
        using var fake = FakeTerraform.Create();
        var run = new TerraformRun(WorkspaceId, TerraformCommand.Apply, "us-east-1", new Dictionary<string, string> { ["x=y"] = "z" });

        await Assert.ThrowsAsync<ArgumentException>(() => Runner(fake.Options()).RunAsync(run, Credentials(Session(1)).Next, _ => { }, default));

        Assert.Empty(fake.Calls());
    }

    private static TerraformRun Apply() => new(WorkspaceId, TerraformCommand.Apply, "us-east-1", Variables);

    private static ProcessTerraformRunner Runner(TerraformOptions options) =>
        new(Options.Create(options), NullLogger<ProcessTerraformRunner>.Instance, TimeProvider.System);

    private static AwsSessionCredentials Session(int n) => new(
        $"ASIARUNNERTEST{n:D6}",
        $"runnerSecretKey{n:D2}/ForTheStandInOnly0000000",
        $"RunnerSessionToken{n:D2}" + new string('S', 150),
        DateTimeOffset.UtcNow.AddHours(1));

    private static CredentialSource Credentials(params AwsSessionCredentials[] sessions) => new(sessions);

    private static string ModuleDirectory(FakeTerraform fake)
    {
        var module = Path.Combine(fake.Root, "module");
        Directory.CreateDirectory(Path.Combine(module, "modules", "vm"));
        Directory.CreateDirectory(Path.Combine(module, ".terraform", "providers"));
        File.WriteAllText(Path.Combine(module, "main.tf"), "variable \"workspace_id\" {}\n");
        File.WriteAllText(Path.Combine(module, "modules", "vm", "vm.tf"), "resource \"aws_instance\" \"workspace\" {}\n");
        File.WriteAllText(Path.Combine(module, ".terraform", "providers", "stale"), "left over from a local init\n");
        return module;
    }

    private static bool IsAlive(int pid)
    {
        // A killed process whose parent has not reaped it yet is a zombie: dead, but still listed.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<T> Eventually<T>(Func<T?> probe)
        where T : struct
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Hands out the given sessions in order (the last one again if asked more often) and counts the calls.</summary>
    private sealed class CredentialSource(AwsSessionCredentials[] sessions)
    {
        private int calls;

        public int Calls => calls;

        public Task<AwsSessionCredentials> Next(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref calls);
            return Task.FromResult(sessions[Math.Min(n, sessions.Length) - 1]);
        }
    }
}
