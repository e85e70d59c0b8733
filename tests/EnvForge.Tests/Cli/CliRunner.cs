using System.Diagnostics;
using System.Text;
using EnvForge.Tests.Infrastructure;

namespace EnvForge.Tests.Cli;

/// <summary>What one run of the CLI printed and how it ended.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
}

/// <summary>
/// The real <c>envforge</c> executable (the built envforge.dll of the tests' configuration) as its own process, as a person
/// runs it: a config directory of its own (one per person), no terminal, the API's address.
/// </summary>
public sealed class CliRunner(Uri server) : IDisposable
{
    private readonly string _configDirectory = Directory.CreateTempSubdirectory("envforge-cli-").FullName;

    public string ConfigDirectory => _configDirectory;

    public string CredentialsFile => Path.Combine(_configDirectory, "credentials.json");

    public static string Executable
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var dll = Path.Combine(ApiProcess.RepositoryRoot(), "src", "Cli", "bin", configuration, "net10.0", "envforge.dll");
            Assert.True(File.Exists(dll), $"the CLI must be built first: {dll}");
            return dll;
        }
    }

    public Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<CliRun> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = Start(args);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// <c>envforge login</c> with the device flow: waits for the URL it prints, lets <paramref name="approve"/> play the
    /// person at the browser, and returns the run once the CLI has finished polling.
    /// </summary>
    public async Task<CliRun> LoginAsync(Func<string, Task> approve, params string[] extra)
    {
        using var process = Start(["login", "--server", server.AbsoluteUri, .. extra]);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        string? url = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (url is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            stderr.AppendLine(line);
            if (line.Contains("/connect/verify", StringComparison.Ordinal))
            {
                url = line[line.IndexOf("http", StringComparison.Ordinal)..].Split(' ')[0];
            }
        }

        Assert.True(url is not null, $"the CLI printed no verification URL: {stderr}");
        await approve(url);
        stderr.Append(await process.StandardError.ReadToEndAsync(timeout.Token));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, stderr.ToString());
    }

    private Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ENVFORGE_CONFIG_DIR"] = _configDirectory,
                ["ENVFORGE_DEVICE_POLL_SECONDS"] = "0.2",
                ["ENVFORGE_ORG"] = null,
                ["DOTNET_NOLOGO"] = "1",
            },
        };
        start.ArgumentList.Add(Executable);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
    }

    public void Dispose() => Directory.Delete(_configDirectory, recursive: true);
}
