using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using EnvForge.Projections.Infrastructure;
using Marten;

namespace EnvForge.Bench;

/// <summary>
/// The dev-link gateway against the same upstream reached directly: requests/s and latency at each client count, over the
/// same client stack (HTTP/1.1 keep-alive, one <see cref="SocketsHttpHandler"/> per side). A third side, YARP's forwarder
/// alone in a process of its own, tells what any proxy hop costs here from what the gateway adds to it.
/// </summary>
internal static class GatewayBenchmark
{
    /// <summary>The gateway's default domain (<c>Gateway:Domain</c>), which the bench leaves as it is.</summary>
    private const string LinkDomain = "links.localhost";

    private const string CookieName = "ef_link";

    public static async Task<GatewayReport> RunAsync(BenchOptions options, BenchDatabase database, string dataDirectory)
    {
        using var store = DocumentStore.For(o => EventStore.Configure(o, database.ConnectionString));
        // Create the schema here, once, so the API's start-up migration finds nothing to do and cannot race us.
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();

        await using var inProcess = options.UpstreamProcess ? null : await Upstream.StartAsync(options.BodyBytes, options.UpstreamDelayMs);
        await using var upstreamProcess = options.UpstreamProcess ? await ApiProcess.StartUpstreamAsync(options.BodyBytes, options.UpstreamDelayMs, dataDirectory) : null;
        var upstream = inProcess?.BaseAddress ?? upstreamProcess!.BaseAddress;
        Func<TimeSpan>? upstreamCpu = upstreamProcess is null ? null : () => upstreamProcess.CpuTime;
        // Seeded before the API starts: the gateway's directory loads it with its first full load.
        var seed = await DevLinkSeed.AppendAsync(store, upstream.Port);
        var settings = new Dictionary<string, string>(seed.ApiSettings) { ["Gateway__UpstreamTemplate"] = "http://127.0.0.1:{port}" };
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var api = await ApiProcess.StartAsync(
            options.ApiDll, database.ConnectionString, signingKey, daemon: false, dataDirectory, settings, seed.ApiSecrets);
        await using var bare = await ApiProcess.StartBareForwarderAsync(upstream, dataDirectory);

        var linkHost = $"{seed.LinkId:N}.{LinkDomain}";
        var (cookie, opened) = await OpenAsync(api.BaseAddress.Port, linkHost, seed);
        var connections = options.Clients.Max();
        using var direct = Client(upstream.Port, "127.0.0.1", connections, cookie);
        using var viaBare = Client(bare.BaseAddress.Port, "127.0.0.1", connections, cookie);
        using var viaGateway = Client(api.BaseAddress.Port, linkHost, connections, cookie);
        await WaitUntilServedAsync(viaGateway, TimeSpan.FromSeconds(30));

        var sides = new Side[]
        {
            new("direct (upstream)", direct, null, upstreamCpu, () => api.CpuTime),
            new("bare YARP forwarder", viaBare, () => bare.CpuTime, upstreamCpu, () => api.CpuTime),
            new("gateway (API process)", viaGateway, () => api.CpuTime, upstreamCpu, () => api.CpuTime),
        };
        Console.Error.WriteLine("==> profile: the gateway's handler in-process, forwarder stubbed");
        var profile = GatewayProfile.Run(seed, cookie, linkHost, upstream.Port);
        var report = new GatewayReport(options, database.ServerVersion, api.CommandLine, bare.CommandLine, opened, profile);
        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var measure = TimeSpan.FromSeconds(options.Seconds);
        foreach (var body in options.BodyBytes)
        {
            foreach (var clients in options.Clients)
            {
                Console.Error.WriteLine(
                    $"==> {body} B body, {clients} client(s): warm-up, then {options.Rounds} x (direct, bare YARP, gateway) of {options.Seconds} s");
                foreach (var side in sides)
                {
                    report.CountWarmup(await MeasureAsync(side, body, clients, warmup));
                }

                var row = report.Add(body, clients);
                // Interleaved, so drift on a noisy machine hits every side alike; the order turns each round.
                for (var round = 0; round < options.Rounds; round++)
                {
                    for (var i = 0; i < sides.Length; i++)
                    {
                        var side = (round + i) % sides.Length;
                        row.Sides[side].Add(await MeasureAsync(sides[side], body, clients, measure));
                    }
                }
            }
        }

        return report;
    }

    private sealed record Side(string Name, HttpClient Http, Func<TimeSpan>? ProxyCpu, Func<TimeSpan>? UpstreamCpu, Func<TimeSpan> ApiCpu);

    /// <summary>A closed loop of GETs; a success is a 200 with the whole body read. CPU: bench, proxy and upstream process.</summary>
    private static async Task<PhaseResult> MeasureAsync(Side side, int bodyBytes, int clients, TimeSpan duration)
    {
        var path = new Uri(Upstream.PathFor(bodyBytes), UriKind.Relative);
        using var self = Process.GetCurrentProcess();
        var (bench, proxy, upstream, api) = (self.TotalProcessorTime, side.ProxyCpu?.Invoke() ?? TimeSpan.Zero, side.UpstreamCpu?.Invoke() ?? TimeSpan.Zero, side.ApiCpu());
        var result = await ClosedLoop.RunAsync(clients, duration, async _ =>
        {
            using var response = await side.Http.GetAsync(path);
            return response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentLength == bodyBytes;
        });
        self.Refresh();
        return result with
        {
            Cpu = (self.TotalProcessorTime - bench, (side.ProxyCpu?.Invoke() ?? TimeSpan.Zero) - proxy),
            UpstreamCpu = (side.UpstreamCpu?.Invoke() ?? TimeSpan.Zero) - upstream,
            ApiProcessCpu = side.ApiCpu() - api,
        };
    }

    /// <summary>
    /// The first use, as a browser makes it: the link's URL once, for the session cookie. Should the gateway refuse, the
    /// bench signs the same session itself with the shared key (and the report says so), so the forwarding path can
    /// still be measured.
    /// </summary>
    private static async Task<(string Cookie, string Outcome)> OpenAsync(int apiPort, string linkHost, DevLinkSeed seed)
    {
        using var http = Client(apiPort, linkHost, 1, cookie: null);
        var open = new Uri($"/__envforge/open?token={Uri.EscapeDataString(seed.Token)}", UriKind.Relative);
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (true)
        {
            using var response = await http.GetAsync(open);
            var setCookie = response.Headers.TryGetValues("Set-Cookie", out var values)
                ? values.FirstOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal))
                : null;
            if (response.StatusCode == HttpStatusCode.SeeOther && setCookie is not null)
            {
                return (setCookie.Split(';')[0], "opened with /__envforge/open?token=… (303 + session cookie), as a browser does");
            }

            // 503: the directory has not finished its first load yet.
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || Stopwatch.GetTimestamp() > deadline)
            {
                var problem = await response.Content.ReadAsStringAsync();
                return ($"{CookieName}={seed.Signer.IssueSession(seed.LinkId, 1, seed.ExpiresAt)}",
                    $"GATEWAY BUG: /__envforge/open?token=… answered {(int)response.StatusCode} {Detail(problem)} for a valid token; " +
                    "the bench signed the session cookie itself with the shared key");
            }

            await Task.Delay(200);
        }
    }

    private static async Task WaitUntilServedAsync(HttpClient gateway, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            using var response = await gateway.GetAsync(new Uri("/", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException(
                    $"the gateway did not serve the link within {timeout.TotalSeconds} s: last answer {(int)response.StatusCode} {Detail(await response.Content.ReadAsStringAsync())}");
            }

            await Task.Delay(200);
        }
    }

    private static string Detail(string problem) => problem.Length > 200 ? problem[..200] : problem;

    /// <summary>
    /// The client stack every side shares: HTTP/1.1 keep-alive, one pooled connection per client, no cookies container
    /// (the session cookie is a fixed header, sent to every side so the requests are the same size), and a connect
    /// callback straight to the loopback port, so <paramref name="host"/> is only the Host header (no DNS).
    /// </summary>
    private static HttpClient Client(int port, string host, int connections, string? cookie)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{host}:{port}"),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (cookie is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Cookie", cookie);
        }

        return http;
    }
}
