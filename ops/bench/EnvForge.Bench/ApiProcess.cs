using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EnvForge.Bench;

/// <summary>The real API as its own process on a free loopback port: Kestrel, auth, validation and Marten as deployed.</summary>
internal sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ApiProcess(Process process, StreamWriter log, Uri baseAddress, string commandLine)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        CommandLine = commandLine;
    }

    public Uri BaseAddress { get; }

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>How to start the same process by hand, secrets left out.</summary>
    public string CommandLine { get; }

    public static async Task<ApiProcess> StartAsync(string apiDll, string connectionString, string signingKey, bool daemon, string dataDirectory)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { apiDll, "--urls", url },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Temporal__StartLocalDevServer"] = "false",
            ["EnvForge__RunProjections"] = daemon ? "true" : "false",
            ["ENVFORGE_DATA_DIR"] = dataDirectory,
        };
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        start.Environment["ConnectionStrings__Marten"] = connectionString;
        start.Environment["Auth__LocalSigningKey"] = signingKey;

        var commandLine = string.Join(' ', settings.Select(s => $"{s.Key}={s.Value}"))
            + $" ConnectionStrings__Marten=<bench db> Auth__LocalSigningKey=<random> dotnet {apiDll} --urls {url}";
        var log = new StreamWriter(Path.Combine(dataDirectory, "api.log")) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the API");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var api = new ApiProcess(process, log, new Uri(url), commandLine);
        try
        {
            await api.WaitUntilAliveAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }

        return api;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private async Task WaitUntilAliveAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the API exited with code {_process.ExitCode}; see {((FileStream)_log.BaseStream).Name}");
            }

            try
            {
                using var response = await http.GetAsync("/alive");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the API did not answer /alive within {timeout.TotalSeconds} s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream.CanWrite)
            {
                log.WriteLine(line);
            }
        }
    }
}
