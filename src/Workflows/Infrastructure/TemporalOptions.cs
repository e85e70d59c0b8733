namespace EnvForge.Workflows.Infrastructure;

/// <summary>Bound from the "Temporal" configuration section; <c>TEMPORAL_ADDRESS</c> overrides <see cref="Address"/>.</summary>
public sealed class TemporalOptions
{
    public const string Section = "Temporal";

    /// <summary>host:port of a Temporal frontend. Empty means "none configured".</summary>
    public string? Address { get; set; }

    public string Namespace { get; set; } = "default";

    public string TaskQueue { get; set; } = "envforge";

    /// <summary>
    /// When no address is set, ask the SDK to start its local dev server. The SDK downloads the server on first
    /// use, so on a machine without internet this fails and EnvForge runs with workflows unavailable.
    /// </summary>
    public bool StartLocalDevServer { get; set; }

    /// <summary>Whether this process hosts a worker for EnvForge's workflows and activities.</summary>
    public bool RunWorker { get; set; } = true;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
