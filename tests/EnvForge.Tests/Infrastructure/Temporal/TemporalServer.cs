using Temporalio.Client;

namespace EnvForge.Tests.Infrastructure.Temporal;

/// <summary>
/// A live Temporal server for tests, when one is reachable at <c>TEMPORAL_ADDRESS</c> (namespace from
/// <c>TEMPORAL_NAMESPACE</c>, default "default"). None can run on these machines, so by default tests that need it are
/// reported as skipped with the reason; with <c>ENVFORGE_REQUIRE_TEMPORAL=1</c> an unreachable server is a failure.
/// </summary>
public sealed class TemporalServer : IAsyncLifetime
{
    private ITemporalClient? _client;
    private string? _unavailable;

    public async ValueTask InitializeAsync()
    {
        var address = Environment.GetEnvironmentVariable("TEMPORAL_ADDRESS");
        if (string.IsNullOrWhiteSpace(address))
        {
            _unavailable = "no live Temporal server: TEMPORAL_ADDRESS is not set (the workflow is covered by its replay tests)";
            return;
        }

        var ns = Environment.GetEnvironmentVariable("TEMPORAL_NAMESPACE") is { Length: > 0 } n ? n : "default";
        try
        {
            _client = await TemporalClient.ConnectAsync(new(address) { Namespace = ns }).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (Environment.GetEnvironmentVariable("ENVFORGE_REQUIRE_TEMPORAL") != "1")
        {
            _unavailable = $"no live Temporal server: TEMPORAL_ADDRESS={address} did not answer ({ex.GetType().Name}: {ex.Message})";
        }
    }

    /// <summary>The connected client; skips the calling test, with the reason, when there is no server.</summary>
    public ITemporalClient Client
    {
        get
        {
            if (_client is null)
            {
                Assert.Skip(_unavailable ?? "no live Temporal server");
            }

            return _client;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
