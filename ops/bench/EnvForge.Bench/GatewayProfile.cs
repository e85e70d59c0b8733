using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Gateway;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.DevLinks;
using EnvForge.Projections.Audit;
using EnvForge.Projections.DevLinks;
using EnvForge.Workflows.Workspaces;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Bench;

/// <summary>One measured step of the profile: CPU time and bytes allocated per call, on one thread.</summary>
internal sealed record ProfileStep(string Name, double MicrosecondsPerCall, double BytesPerCall, string Note = "");

/// <summary>
/// Where the gateway's own time goes, without sockets: <see cref="DevLinkGateway.HandleAsync"/> on one thread, in this
/// process, for the seeded link and its session cookie, with YARP's forwarder replaced by one that only runs the
/// transformer (as YARP does around the upstream call), next to the same for bare YARP's default transformer and the
/// gateway's separate checks. No dotnet-counters or profiler here: per-call time and allocations tell the story.
/// </summary>
internal static class GatewayProfile
{
    private static readonly TimeSpan Warmup = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Measure = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<ProfileStep> Run(DevLinkSeed seed, string cookie, string linkHost, int upstreamPort)
    {
        var directory = new DevLinkDirectory();
        directory.Put(seed.Link);
        directory.Put(seed.Workspace);
        directory.MarkLoaded();
        directory.MarkSynced(TimeProvider.System.GetTimestamp()); // no feed here: the directory is as current as it gets

        var forwarder = new TransformOnlyForwarder();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(directory)
            .AddSingleton(seed.Signer)
            .AddSingleton<IHttpForwarder>(forwarder)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(DispatchProxy.Create<IWorkspaceWorkflows, NoWorkflows>())
            .AddSingleton(new StreamCommands(DispatchProxy.Create<Marten.IDocumentStore, NoDatabase>()))
            .AddSingleton(DispatchProxy.Create<Marten.IDocumentStore, NoDatabase>()); // a valid, awake link needs no database
        services.AddOptions<GatewayOptions>().Configure(o => o.UpstreamTemplate = "http://127.0.0.1:{port}");
        services.AddOptions<DevLinkDirectoryOptions>().Configure(o => o.MaxStaleness = TimeSpan.FromDays(1));
        services.AddOptions<AuditOptions>();
        services.AddSingleton<IGatewayRefusals, RefusalRecorder>(); // counts refusals in memory; never flushed here
        services.AddDevLinkGatewayParts(); // the API's own registration of the gateway's parts
        using var provider = services.BuildServiceProvider();
        DevLinkGateway gateway;
        try
        {
            gateway = provider.GetRequiredService<DevLinkGateway>();
        }
        catch (InvalidOperationException ex)
        {
            return [new ProfileStep("gateway HandleAsync", double.NaN, double.NaN, $"not measured: {ex.Message}")];
        }

        var cookieValue = cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var sessions = provider.GetRequiredService<SessionCookie>();
        var access = provider.GetRequiredService<LinkAccess>();
        var live = provider.GetRequiredService<LiveRequests>();
        var upstreams = provider.GetRequiredService<UpstreamForwarder>();
        seed.Signer.TryReadSession(cookieValue, out var signed);
        SignedLink? session = signed;
        var now = DateTimeOffset.UtcNow;
        directory.TryGetRuntime(seed.WorkspaceId, out var runtime);
        var upstream = $"http://127.0.0.1:{upstreamPort.ToString(CultureInfo.InvariantCulture)}";
        var config = ForwarderRequestConfig.Empty;
        HttpContext Request() => NewContext(linkHost, cookie);

        var context = Step("HttpContext set-up (in every row below)", () => Request());
        var handled = Step("gateway HandleAsync (forwarder stubbed)", () =>
        {
            var http = Request();
            gateway.HandleAsync(http).GetAwaiter().GetResult();
            if (http.Response.StatusCode != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"the gateway answered {http.Response.StatusCode} in-process");
            }
        });
        var bare = Step("bare YARP: default transformer", () =>
        {
            var http = Request();
            forwarder.SendAsync(http, upstream, null!, config, HttpTransformer.Default).AsTask().GetAwaiter().GetResult();
        });
        IReadOnlyList<ProfileStep> steps =
        [
            context,
            handled with { Note = $"= {F(handled.MicrosecondsPerCall - context.MicrosecondsPerCall)} us, {F(handled.BytesPerCall - context.BytesPerCall)} B own" },
            bare with { Note = $"= {F(bare.MicrosecondsPerCall - context.MicrosecondsPerCall)} us, {F(bare.BytesPerCall - context.BytesPerCall)} B own" },
            Step("  GatewayPaths.Check(\"/\")", () => GatewayPaths.Check("/", out var _)),
            Step("  GatewayPaths.Classify(\"/\")", () => GatewayPaths.Classify("/")),
            Step("  DevLinkSigner.TryReadSession", () => seed.Signer.TryReadSession(cookieValue, out var _)),
            Step("  SessionCookie.Read (Cookie header)", () => sessions.Read(Request().Request, out var _)),
            Step("  LinkAccess.Admit + Allow", () => access.Allow(access.Admit(seed.LinkId, session, now).Link!, DevLinkSurface.Web)),
            Step("  LiveRequests.Enter + Dispose", () => live.Enter(seed.LinkId, session, DevLinkSurface.Web).Dispose()),
            Step("  upstream address (template)", () => GC.KeepAlive(upstreams.AddressOf(runtime, seed.Link.Service, upstreamPort))),
        ];
        return steps;
    }

    private static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Calls <paramref name="action"/> for the warm-up (tier-1 JIT), then for the measured second, on this thread.</summary>
    private static ProfileStep Step(string name, Action action)
    {
        Loop(action, Warmup);
        var (calls, cpu, bytes) = Loop(action, Measure);
        return new ProfileStep(name, cpu.TotalMicroseconds / calls, (double)bytes / calls);
    }

    private static (long Calls, TimeSpan Cpu, long Bytes) Loop(Action action, TimeSpan duration)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var (cpu, bytes) = (ThreadCpu(), GC.GetAllocatedBytesForCurrentThread());
        long calls = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            for (var i = 0; i < 100; i++)
            {
                action();
            }

            calls += 100;
        }

        return (calls, ThreadCpu() - cpu, GC.GetAllocatedBytesForCurrentThread() - bytes);
    }

    /// <summary>This thread's CPU time, so other work on the machine does not count (wall time would).</summary>
    private static TimeSpan ThreadCpu()
    {
        var stat = File.ReadAllText($"/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime: fields 14 and 15 of stat, 12 and 13 after "pid (comm) "; in clock ticks (USER_HZ, 100 on Linux).
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>What Kestrel hands the gateway for <c>GET /</c> on the link's host with the session cookie.</summary>
    private static DefaultHttpContext NewContext(string linkHost, string cookie)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Get;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString(linkHost);
        http.Request.Path = "/";
        http.Request.Headers.Cookie = cookie;
        http.Features.Get<IHttpRequestFeature>()!.RawTarget = "/";
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        http.Response.Body = Stream.Null;
        return http;
    }

    /// <summary>YARP's forwarder minus the network: the request message, the request transform, a 200, the response transform.</summary>
    private sealed class TransformOnlyForwarder : IHttpForwarder
    {
        public ValueTask<ForwarderError> SendAsync(
            HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer) =>
            SendAsync(context, destinationPrefix, httpClient, requestConfig, transformer, CancellationToken.None);

        public async ValueTask<ForwarderError> SendAsync(
            HttpContext context, string destinationPrefix, HttpMessageInvoker httpClient, ForwarderRequestConfig requestConfig, HttpTransformer transformer,
            CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage { Method = HttpMethod.Get };
            await transformer.TransformRequestAsync(context, request, destinationPrefix, cancellationToken);
            using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
            response.Headers.Date = DateTimeOffset.UnixEpoch;
            response.Content.Headers.ContentType = new("text/plain");
            context.Response.StatusCode = (int)response.StatusCode;
            await transformer.TransformResponseAsync(context, response, cancellationToken);
            return ForwarderError.None;
        }
    }

    /// <summary>The store the gateway only needs to wake a workspace or record a first use, which the profile never does.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1852", Justification = "DispatchProxy derives from it.")]
    internal class NoDatabase : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new NotSupportedException("the profiled request path must not touch the database");
    }

    /// <summary>The workspace workflows the gateway only needs to wake a sleeping workspace, which the profile never does.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1852", Justification = "DispatchProxy derives from it.")]
    internal class NoWorkflows : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == "get_" + nameof(IWorkspaceWorkflows.UnavailableReason)
                ? "not in the bench"
                : throw new NotSupportedException("the bench runs no workflows");
    }
}
