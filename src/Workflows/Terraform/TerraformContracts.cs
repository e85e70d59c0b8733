using EnvForge.Workflows.Aws;

namespace EnvForge.Workflows.Terraform;

public enum TerraformCommand
{
    Apply,
    Destroy,
}

/// <summary>One terraform run for a workspace. Variables are non-secret inputs (ids, repo, region).</summary>
public sealed record TerraformRun(Guid WorkspaceId, TerraformCommand Command, string Region, IReadOnlyDictionary<string, string> Variables);

/// <summary>A progress line parsed from terraform's <c>-json</c> output, secret-free.</summary>
public sealed record TerraformProgress(string Kind, string Message);

/// <summary>Result: success, the instance ids it reported, and a short secret-free summary (counts, output names).</summary>
public sealed record TerraformOutcome(bool Succeeded, IReadOnlyList<string> InstanceIds, string Summary, string? Error);

public interface ITerraformRunner
{
    /// <param name="credentials">Called for fresh credentials at start and again when a run outlives them.</param>
    Task<TerraformOutcome> RunAsync(
        TerraformRun run, Func<CancellationToken, Task<AwsSessionCredentials>> credentials, Action<TerraformProgress> progress, CancellationToken ct);
}
