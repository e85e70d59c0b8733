using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EnvForge.Tests.Infrastructure;

/// <summary>
/// The real API as its own OS process on a loopback port (the built EnvForge.Api.dll of the same configuration as
/// the tests), for tests that must kill it the way production dies: SIGKILL, no graceful shutdown.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory;

    private ApiProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        _process = process;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
    }

    public Uri BaseAddress { get; }

    public static async Task<ApiProcess> StartAsync(string connectionString)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", "Api", "bin", BuildConfiguration(), "net10.0", "EnvForge.Api.dll");
        Assert.True(File.Exists(dll), $"the API must be built first: {dll}");
        var port = FreePort();
        var dataDirectory = Directory.CreateTempSubdirectory("envforge-proc-").FullName;
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            Environment =
            {
                ["ConnectionStrings__Marten"] = connectionString,
                ["Auth__LocalSigningKey"] = ApiFactory.SigningKey,
                ["Temporal__StartLocalDevServer"] = "false",
                ["ENVFORGE_DATA_DIR"] = dataDirectory,
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the API");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDirectory);
        await api.WaitUntilAliveAsync(TimeSpan.FromSeconds(60));
        return api;
    }

    public HttpClient ClientFor(string subject) =>
        new() { BaseAddress = BaseAddress, DefaultRequestHeaders = { Authorization = new("Bearer", ApiFactory.Token(subject)) } };

    /// <summary>SIGKILL: no shutdown hooks, no flush, in-flight requests cut off.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    private async Task WaitUntilAliveAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Assert.False(_process.HasExited, $"the API process exited with code {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                if ((await client.GetAsync("/alive")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline, "the API did not come up in time");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EnvForge.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("EnvForge.sln not found above the test binaries");
    }

    private static string BuildConfiguration() => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
