using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace EnvForge.Bench;

/// <summary>
/// The workspace service the gateway bench forwards to: bare Kestrel in the bench process on a free loopback port,
/// answering <c>GET /r{N}</c> with 200 and a fixed N-byte text body (<c>/</c> is the first size), nothing else. As cheap
/// as an upstream can be, so the figures show what the hop in front of it costs. With <c>--upstream-process</c> the same
/// app runs in a child process (the bench in <c>upstream</c> mode), so "direct" crosses a process boundary too and the
/// upstream's CPU is measured apart from the clients'.
/// </summary>
internal sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Upstream(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Port => BaseAddress.Port;

    public const string Mode = "upstream";

    public static string PathFor(int bytes) => $"/r{bytes.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The arguments of <see cref="RunAsync"/> for these sizes and delay, <c>--urls</c> excepted.</summary>
    public static string[] Arguments(IReadOnlyList<int> bodySizes, int delayMs) =>
        [Mode, "--body", string.Join(',', bodySizes.Select(b => b.ToString(CultureInfo.InvariantCulture))), "--delay", delayMs.ToString(CultureInfo.InvariantCulture)];

    /// <summary>Child-process mode: <c>--body 100,4096 --delay MS --urls http://127.0.0.1:PORT</c>; serves until killed.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = args[Array.IndexOf(args, "--body") + 1].Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        var delay = int.Parse(args[Array.IndexOf(args, "--delay") + 1], CultureInfo.InvariantCulture);
        await using var upstream = await StartAsync(sizes, delay, new Uri(args[Array.IndexOf(args, "--urls") + 1]).Port);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <param name="delayMs">How long each answer waits first (an app waiting on I/O); 0 for at once.</param>
    /// <param name="port">0 for any free port.</param>
    public static async Task<Upstream> StartAsync(IReadOnlyList<int> bodySizes, int delayMs = 0, int port = 0)
    {
        var bodies = bodySizes.Distinct().ToDictionary(PathFor, Body, StringComparer.Ordinal);
        bodies["/"] = Body(bodySizes[0]);
        bodies["/alive"] = [];
        var byPath = bodies.ToFrozenDictionary(StringComparer.Ordinal);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var delay = TimeSpan.FromMilliseconds(delayMs);
        app.Run(async http =>
        {
            if (!byPath.TryGetValue(http.Request.Path.Value ?? "/", out var body))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (delayMs > 0 && body.Length > 0)
            {
                await Task.Delay(delay, http.RequestAborted);
            }

            http.Response.ContentType = "text/plain";
            http.Response.ContentLength = body.Length;
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        });
        await app.StartAsync();
        return new Upstream(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>"ok" and filler up to the size, newline-terminated.</summary>
    private static byte[] Body(int bytes)
    {
        var text = new StringBuilder("ok", bytes);
        while (text.Length < bytes - 1)
        {
            text.Append(text.Length % 64 == 63 ? '\n' : '.');
        }

        return Encoding.ASCII.GetBytes(text.Append('\n').ToString()[..bytes]);
    }
}
