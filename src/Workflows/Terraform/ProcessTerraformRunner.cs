using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using EnvForge.Workflows.Aws;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Terraform;

/// <summary>
/// Runs terraform as a child process in a fresh working directory per run (deleted afterwards), streaming its
/// <c>-json</c> output line by line. Credentials reach the child only through its environment. A run that fails because it
/// outlived its credentials is run again with fresh ones (apply and destroy both converge), a bounded number of times.
/// Cancellation kills the whole process tree.
/// </summary>
public sealed partial class ProcessTerraformRunner(
    IOptions<TerraformOptions> options, ILogger<ProcessTerraformRunner> logger, TimeProvider time) : ITerraformRunner
{
    private const int MaxErrorLength = 2000;
    private const int MaxStandardErrorLines = 50;
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    public async Task<TerraformOutcome> RunAsync(
        TerraformRun run, Func<CancellationToken, Task<AwsSessionCredentials>> credentials, Action<TerraformProgress> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(progress);
        var settings = options.Value;
        var arguments = CommandArguments(run);
        var verb = TerraformJsonStream.Verb(run.Command);

        var workDirectory = CreateWorkDirectory(settings, run.WorkspaceId);
        try
        {
            CopyModule(settings.ModuleDirectory, workDirectory);
            var initialized = !settings.Init;
            for (var refreshes = 0; ; refreshes++)
            {
                var session = await credentials(ct);
                if (!initialized)
                {
                    var init = await ExecuteAsync(settings, InitArguments(settings, run), workDirectory, session, run.Region, progress: null, ct);
                    if (init.ExitCode != 0)
                    {
                        LogFailed(run.WorkspaceId, "init", init.ExitCode);
                        return Failed(init, $"terraform init failed: {ErrorText(init)}");
                    }

                    initialized = true;
                }

                LogStarting(run.WorkspaceId, verb, refreshes);
                var result = await ExecuteAsync(settings, arguments, workDirectory, session, run.Region, progress, ct);
                if (result.ExitCode == 0)
                {
                    var summary = result.Stream.Summary(run.Command);
                    LogSucceeded(run.WorkspaceId, verb, summary);
                    return new TerraformOutcome(true, result.Stream.InstanceIds, summary, null);
                }

                LogFailed(run.WorkspaceId, verb, result.ExitCode);
                var outlived = result.Stream.MentionsExpiredCredentials || time.GetUtcNow() >= session.Expiration;
                if (!outlived)
                {
                    return Failed(result, ErrorText(result));
                }

                if (refreshes >= settings.MaxCredentialRefreshes)
                {
                    return Failed(result, $"credentials expired during terraform {verb} {refreshes + 1} times: {ErrorText(result)}");
                }

                LogReassuming(run.WorkspaceId, verb, refreshes + 1);
                progress(new TerraformProgress("reassume", $"credentials expired during terraform {verb}; re-assuming and running it again"));
            }
        }
        finally
        {
            DeleteWorkDirectory(workDirectory);
        }

        TerraformOutcome Failed(Execution execution, string error) => new(
            false,
            execution.Stream.InstanceIds,
            execution.Stream.Summary(run.Command),
            error.Length <= MaxErrorLength ? error : error[..MaxErrorLength] + "…");

        string ErrorText(Execution execution) => execution.Stream.Errors.Count > 0
            ? string.Join("; ", execution.Stream.Errors)
            : $"terraform exited with code {execution.ExitCode}";
    }

    /// <summary><c>apply|destroy -auto-approve -json -input=false -var name=value ...</c>; variables are non-secret by contract.</summary>
    public static IReadOnlyList<string> CommandArguments(TerraformRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var arguments = new List<string> { TerraformJsonStream.Verb(run.Command), "-auto-approve", "-json", "-input=false" };
        foreach (var (name, value) in run.Variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!VariableName().IsMatch(name))
            {
                throw new ArgumentException($"'{name}' is not a terraform variable name", nameof(run));
            }

            arguments.Add("-var");
            arguments.Add($"{name}={value}");
        }

        return arguments;
    }

    private static List<string> InitArguments(TerraformOptions settings, TerraformRun run)
    {
        var arguments = new List<string> { "init", "-input=false", "-no-color" };
        arguments.AddRange(settings.BackendConfig.Select(pair =>
            "-backend-config=" + pair.Replace("{workspace_id}", run.WorkspaceId.ToString(), StringComparison.Ordinal)));
        return arguments;
    }

    private async Task<Execution> ExecuteAsync(
        TerraformOptions settings,
        IReadOnlyList<string> arguments,
        string workDirectory,
        AwsSessionCredentials session,
        string region,
        Action<TerraformProgress>? progress,
        CancellationToken ct)
    {
        var start = new ProcessStartInfo(settings.Executable)
        {
            WorkingDirectory = workDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        TerraformChildEnvironment.Apply(start.Environment, session, region);
        if (!string.IsNullOrWhiteSpace(settings.PluginCacheDirectory))
        {
            start.Environment["TF_PLUGIN_CACHE_DIR"] = settings.PluginCacheDirectory;
        }

        var stream = new TerraformJsonStream(session);
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"terraform executable '{settings.Executable}' could not be started: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        var standardError = new Queue<string>();
        var drainError = DrainAsync(process.StandardError, standardError);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
            {
                if (stream.Read(line) is { } message && progress is not null)
                {
                    progress(message);
                }
            }

            await drainError;
            await process.WaitForExitAsync(ct);
        }
        finally
        {
            // Cancelled, or a progress callback threw: terraform must not outlive the run.
            if (!HasExited(process))
            {
                Kill(process);
                using var grace = new CancellationTokenSource(KillGrace);
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    LogStillRunning(process.Id);
                }
            }
        }

        foreach (var line in standardError)
        {
            stream.ReadPlain(line);
        }

        return new Execution(process.ExitCode, stream);
    }

    private static async Task DrainAsync(StreamReader reader, Queue<string> lastLines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lastLines.Enqueue(line);
            if (lastLines.Count > MaxStandardErrorLines)
            {
                lastLines.Dequeue();
            }
        }
    }

    private void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            LogKilled(process.Id);
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
        catch (Win32Exception)
        {
            // Exited in the meantime, or a child could not be signalled; nothing more to do here.
        }
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static string CreateWorkDirectory(TerraformOptions settings, Guid workspaceId)
    {
        var root = string.IsNullOrWhiteSpace(settings.WorkRoot)
            ? Path.Combine(Path.GetTempPath(), "envforge-terraform")
            : settings.WorkRoot;
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, $"{workspaceId:N}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // Terraform writes plans and state here; only this user may read them.
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static void CopyModule(string? moduleDirectory, string workDirectory)
    {
        if (string.IsNullOrWhiteSpace(moduleDirectory))
        {
            return;
        }

        var source = Path.GetFullPath(moduleDirectory);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"terraform module directory '{moduleDirectory}' does not exist");
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            // A developer's local init or state must not leak into a workspace's run.
            if (relative.Split(Path.DirectorySeparatorChar).Contains(".terraform")
                || Path.GetFileName(file).StartsWith("terraform.tfstate", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(workDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private void DeleteWorkDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotDeleted(path, ex.GetType().Name);
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex VariableName();

    [LoggerMessage(Level = LogLevel.Information, Message = "terraform {Verb} for workspace {WorkspaceId} starting (credential refresh {Refreshes})")]
    private partial void LogStarting(Guid workspaceId, string verb, int refreshes);

    [LoggerMessage(Level = LogLevel.Information, Message = "terraform {Verb} for workspace {WorkspaceId} succeeded: {Summary}")]
    private partial void LogSucceeded(Guid workspaceId, string verb, string summary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "terraform {Verb} for workspace {WorkspaceId} exited with code {ExitCode}")]
    private partial void LogFailed(Guid workspaceId, string verb, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "terraform {Verb} for workspace {WorkspaceId} outlived its credentials; re-assuming ({Attempt})")]
    private partial void LogReassuming(Guid workspaceId, string verb, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "terraform process {ProcessId} killed with its children")]
    private partial void LogKilled(int processId);

    [LoggerMessage(Level = LogLevel.Error, Message = "terraform process {ProcessId} still running after being killed")]
    private partial void LogStillRunning(int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "terraform working directory {Path} could not be deleted ({Error})")]
    private partial void LogNotDeleted(string path, string error);

    private sealed record Execution(int ExitCode, TerraformJsonStream Stream);
}
