using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Workspaces;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Elevation;

/// <summary>Bound from the "Elevation" configuration section.</summary>
public sealed partial class ElevationOptions
{
    public const string Section = "Elevation";

    /// <summary>The Linux account on workspace hosts that root is granted to (the developer's login).</summary>
    public string HostUser { get; set; } = "dev";

    /// <summary>How often a sent Run Command is asked for its result.</summary>
    public TimeSpan CommandPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the host has to run a command before it counts as failed (and the activity retries).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public void Validate()
    {
        if (!HostUserPattern().IsMatch(HostUser))
        {
            throw new InvalidOperationException($"Elevation:HostUser must be a plain Linux user name, not '{HostUser}'.");
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex HostUserPattern();
}

/// <summary>
/// Grants and removes root on a workspace's host through SSM Run Command (AWS-RunShellScript), with the org's assumed
/// role: a sudoers drop-in named for the grant, which the host also removes by itself at expiry (a systemd timer, or on a
/// host without systemd a sleeper in a session of its own), as a backstop should EnvForge not reach it then. Closeout
/// removes the drop-in, forgets cached sudo credentials and ends root processes of the developer's login. Both scripts are
/// idempotent; neither carries a secret. The Local provider runs the very same scripts in the org's host container.
/// </summary>
public sealed class SsmRootAccessHost(OrgAwsAccess access, IOptions<AwsOptions> aws, IOptions<ElevationOptions> options, TimeProvider time) : IRootAccessHost
{
    public const string Document = "AWS-RunShellScript";

    public Task GrantAsync(Workspace workspace, Guid grantId, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var seconds = Math.Max(60, (long)Math.Ceiling((expiresAt - time.GetUtcNow()).TotalSeconds));
        return RunAsync(workspace, grantId, $"EnvForge root grant {grantId:N}", GrantScript(grantId, options.Value.HostUser, expiresAt, seconds), ct);
    }

    public Task RevokeAsync(Workspace workspace, Guid grantId, CancellationToken ct) =>
        RunAsync(workspace, grantId, $"EnvForge root closeout {grantId:N}", RevokeScript(grantId, options.Value.HostUser), ct);

    public static string DropInPath(Guid grantId) => $"/etc/sudoers.d/envforge-grant-{grantId:N}";

    /// <summary>Where a host without systemd keeps the session id of the sleeper that removes the drop-in at expiry.</summary>
    public static string ExpiryPidPath(Guid grantId) => $"/run/envforge-grant-{grantId:N}-expiry.pid";

    public static IReadOnlyList<string> GrantScript(Guid grantId, string user, DateTimeOffset expiresAt, long seconds)
    {
        var file = DropInPath(grantId);
        var unit = $"envforge-grant-{grantId:N}-expiry";
        var pid = ExpiryPidPath(grantId);
        var after = seconds.ToString(CultureInfo.InvariantCulture);
        return
        [
            "set -eu",
            $"printf '%s\\n' '# EnvForge root elevation {grantId} until {expiresAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}' '{user} ALL=(ALL) NOPASSWD: ALL' > {file}.tmp",
            $"chmod 0440 {file}.tmp",
            $"visudo -cf {file}.tmp",
            $"mv -f {file}.tmp {file}",
            $"systemctl stop {unit}.timer {unit}.service 2>/dev/null || true",
            // No systemd (a Local provider's host container): a sleeper in a session of its own is the backstop instead,
            // replacing the one an earlier attempt started; closeout ends its session. The script ends there.
            "if [ ! -d /run/systemd/system ]; then",
            $"  if [ -s {pid} ]; then pkill -TERM -s \"$(cat {pid})\" 2>/dev/null || true; fi",
            $"  setsid sh -c 'echo $$ > {pid}; sleep {after} && rm -f {file} {pid}' </dev/null >/dev/null 2>&1 &",
            "  exit 0",
            "fi",
            $"systemd-run --unit {unit} --on-active={after}s /bin/rm -f {file}",
        ];
    }

    public static IReadOnlyList<string> RevokeScript(Guid grantId, string user)
    {
        var file = DropInPath(grantId);
        var unit = $"envforge-grant-{grantId:N}-expiry";
        return
        [
            "set -eu",
            $"rm -f {file} {file}.tmp",
            $"systemctl stop {unit}.timer {unit}.service 2>/dev/null || true",
            $"if [ -s {ExpiryPidPath(grantId)} ]; then pkill -TERM -s \"$(cat {ExpiryPidPath(grantId)})\" 2>/dev/null || true; fi",
            $"rm -f {ExpiryPidPath(grantId)}",
            $"if uid=$(id -u {user} 2>/dev/null); then",
            $"  rm -rf /run/sudo/ts/{user} /var/run/sudo/ts/{user}",
            // A process that exits between ps and kill is not a failed closeout.
            "  ps -eo pid=,euid=,luid= | awk -v u=\"$uid\" '$2 == 0 && $3 == u { print $1 }' | xargs -r kill -KILL 2>/dev/null || true",
            "fi",
        ];
    }

    private async Task RunAsync(Workspace workspace, Guid grantId, string comment, IReadOnlyList<string> commands, CancellationToken ct)
    {
        var instanceId = workspace.Placement?.InstanceId
            ?? throw new ApplicationFailureException("the workspace has no host", "elevation.no_host", nonRetryable: true);
        var (credentials, _) = await access.AssumeAsync(workspace.OrgId, workspace.Id, $"elevation-{grantId:N}", ct);
        using var ssm = new AmazonSimpleSystemsManagementClient(
            new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
            aws.Value.ConfigureClient(new AmazonSimpleSystemsManagementConfig(), aws.Value.SsmServiceUrl, workspace.Placement.Region));

        string commandId;
        try
        {
            var sent = await ssm.SendCommandAsync(
                new SendCommandRequest
                {
                    DocumentName = Document,
                    InstanceIds = [instanceId],
                    Comment = comment,
                    TimeoutSeconds = (int)options.Value.CommandTimeout.TotalSeconds,
                    Parameters = new Dictionary<string, List<string>> { ["commands"] = [.. commands] },
                },
                ct);
            commandId = sent.Command.CommandId;
        }
        catch (AmazonServiceException ex)
        {
            // AWS messages can quote ARNs; only the error code goes into the failure (and so into Temporal's history).
            throw new ApplicationFailureException($"SSM SendCommand failed ({ex.ErrorCode})", "elevation.ssm_failed", nonRetryable: false);
        }

        await WaitAsync(ssm, commandId, instanceId, ct);
    }

    private async Task WaitAsync(AmazonSimpleSystemsManagementClient ssm, string commandId, string instanceId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + options.Value.CommandTimeout + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (ActivityExecutionContext.HasCurrent)
            {
                ActivityExecutionContext.Current.Heartbeat();
            }

            try
            {
                var invocation = await ssm.GetCommandInvocationAsync(new GetCommandInvocationRequest { CommandId = commandId, InstanceId = instanceId }, ct);
                var status = invocation.Status?.Value;
                if (status == CommandInvocationStatus.Success.Value)
                {
                    return;
                }

                if (status == CommandInvocationStatus.Failed.Value || status == CommandInvocationStatus.Cancelled.Value
                    || status == CommandInvocationStatus.TimedOut.Value)
                {
                    throw new ApplicationFailureException(
                        $"the host's Run Command {commandId} ended {status} (exit {invocation.ResponseCode})", "elevation.host_command_failed", nonRetryable: false);
                }
            }
            catch (InvocationDoesNotExistException)
            {
                // Just sent: SSM answers this until the invocation is registered.
            }
            catch (AmazonServiceException ex)
            {
                // As for SendCommand: AWS messages can quote ARNs; only the error code goes into the failure.
                throw new ApplicationFailureException($"SSM GetCommandInvocation failed ({ex.ErrorCode})", "elevation.ssm_failed", nonRetryable: false);
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new ApplicationFailureException($"the host did not finish Run Command {commandId} in time", "elevation.host_command_timeout", nonRetryable: false);
            }

            await Task.Delay(options.Value.CommandPollInterval, time, ct);
        }
    }
}
