using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EnvForge.Bench;

/// <summary>
/// The real API as its own process on a free loopback port: Kestrel, auth, validation and Marten as deployed. Also starts
/// the bench's bare YARP forwarder the same way, so the two proxies of the gateway bench run alike.
/// </summary>
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

    public int ProcessId => _process.Id;

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

    /// <param name="extraSettings">More configuration for the API, shown in <see cref="CommandLine"/>.</param>
    /// <param name="extraSecrets">More configuration, left out of <see cref="CommandLine"/> (keys).</param>
    public static Task<ApiProcess> StartAsync(
        string apiDll, string connectionString, string signingKey, bool daemon, string dataDirectory,
        IReadOnlyDictionary<string, string>? extraSettings = null, IReadOnlyDictionary<string, string>? extraSecrets = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Temporal__StartLocalDevServer"] = "false",
            ["EnvForge__RunProjections"] = daemon ? "true" : "false",
            ["ENVFORGE_DATA_DIR"] = dataDirectory,
        };
        foreach (var (name, value) in extraSettings ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }

        var secrets = new Dictionary<string, string>
        {
            ["ConnectionStrings__Marten"] = connectionString,
            ["Auth__LocalSigningKey"] = signingKey,
        };
        foreach (var (name, value) in extraSecrets ?? new Dictionary<string, string>())
        {
            secrets[name] = value;
        }

        return LaunchAsync([apiDll], settings, secrets, dataDirectory, "api.log");
    }

    /// <summary>
    /// The bench itself in <c>bare-forwarder</c> mode (see <see cref="BareForwarder"/>): YARP's forwarder and nothing else,
    /// in a process of its own like the API, as the baseline a gateway hop is compared with.
    /// </summary>
    public static Task<ApiProcess> StartBareForwarderAsync(Uri upstream, string dataDirectory) =>
        LaunchAsync(
            [typeof(ApiProcess).Assembly.Location, BareForwarder.Mode, upstream.ToString()],
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Logging__LogLevel__Default"] = "Warning" },
            new Dictionary<string, string>(), dataDirectory, "bare-forwarder.log");

    /// <summary>The bench in <c>upstream</c> mode: the gateway bench's upstream in a process of its own.</summary>
    public static Task<ApiProcess> StartUpstreamAsync(IReadOnlyList<int> bodySizes, int delayMs, string dataDirectory) =>
        LaunchAsync(
            [typeof(ApiProcess).Assembly.Location, .. Upstream.Arguments(bodySizes, delayMs)],
            new Dictionary<string, string>(), new Dictionary<string, string>(), dataDirectory, "upstream.log");

    private static async Task<ApiProcess> LaunchAsync(
        IReadOnlyList<string> arguments, Dictionary<string, string> settings, Dictionary<string, string> secrets, string dataDirectory, string logName)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Concat(["--urls", url]))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in settings.Concat(secrets))
        {
            start.Environment[name] = value;
        }

        var commandLine = string.Join(' ', settings.Select(s => $"{s.Key}={s.Value}"))
            + string.Concat(secrets.Keys.Select(name => $" {name}=<{(name.StartsWith("ConnectionStrings", StringComparison.Ordinal) ? "bench db" : "random")}>"))
            + $" dotnet {string.Join(' ', start.ArgumentList)}";
        var log = new StreamWriter(Path.Combine(dataDirectory, logName)) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {arguments[0]}");
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
                throw new InvalidOperationException($"the process exited with code {_process.ExitCode}; see {((FileStream)_log.BaseStream).Name}");
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

        throw new TimeoutException($"the process did not answer /alive within {timeout.TotalSeconds} s");
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
