using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;

namespace EnvForge.Bench;

/// <summary>
/// The gateway bench's baseline proxy: YARP's <see cref="IHttpForwarder"/> with its default transformer (X-Forwarded-*
/// added, everything else copied) and the gateway's upstream client settings, on the same web host defaults as the API,
/// and nothing else: no link check, no cookie handling, no API middleware. What a YARP hop costs on this machine, so
/// the gateway's own share of the gap to direct can be told apart from the hop's. Run by the bench as a child process.
/// </summary>
internal static class BareForwarder
{
    public const string Mode = "bare-forwarder";

    /// <param name="args"><c>UPSTREAM --urls URL</c>.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var upstream = args[0];
        var builder = WebApplication.CreateBuilder(args[1..]);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();

        // The gateway's own handler settings, so the upstream leg is the same.
        using var client = new HttpMessageInvoker(EnvForge.Api.Gateway.UpstreamForwarder.CreateHandler());
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) };
        app.Run(async http =>
        {
            if (http.Request.Path.Equals("/alive", StringComparison.Ordinal))
            {
                return; // 200, empty: the bench's readiness probe
            }

            await forwarder.SendAsync(http, upstream, client, config, HttpTransformer.Default);
        });
        await app.RunAsync();
        return 0;
    }
}
