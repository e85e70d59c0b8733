namespace EnvForge.Workflows.Terraform;

/// <summary>Bound from "Terraform": which executable runs which module, and where each run's scratch directory lives.</summary>
public sealed class TerraformOptions
{
    public const string Section = "Terraform";

    /// <summary>terraform, tofu, or a path to either (tests use a stand-in script).</summary>
    public string Executable { get; set; } = "terraform";

    /// <summary>The module copied into each run's working directory. Empty: the run starts in an empty directory.</summary>
    public string? ModuleDirectory { get; set; }

    /// <summary>Parent of the per-run working directories. Empty: the system temp directory.</summary>
    public string? WorkRoot { get; set; }

    /// <summary>Run <c>terraform init</c> in each fresh working directory before apply or destroy.</summary>
    public bool Init { get; set; } = true;

    /// <summary>
    /// <c>-backend-config</c> pairs for init, e.g. <c>key=workspaces/{workspace_id}.tfstate</c>: each run starts in an empty
    /// directory, so the state must live in a backend for destroy to find what apply made.
    /// </summary>
    public IList<string> BackendConfig { get; } = [];

    /// <summary>Shared provider cache, so a fresh directory does not download providers again.</summary>
    public string? PluginCacheDirectory { get; set; }

    /// <summary>How many times a run that outlived its credentials is re-run with fresh ones.</summary>
    public int MaxCredentialRefreshes { get; set; } = 2;
}
