using EnvForge.Workflows.Aws;

namespace EnvForge.Workflows.Terraform;

/// <summary>
/// The environment terraform runs with. The session credentials go here and nowhere else (not in arguments, not on disk).
/// Inherited AWS_* variables are dropped so the child can never fall back to EnvForge's own identity or profiles, and
/// instance metadata is off for the same reason. TF_VAR_*, TF_CLI_ARGS* and TF_LOG* are dropped too: a run's inputs
/// come only from the run, and debug logs could echo requests.
/// </summary>
public static class TerraformChildEnvironment
{
    private static readonly string[] DroppedPrefixes = ["AWS_", "TF_VAR_", "TF_CLI_ARGS", "TF_LOG"];

    public static void Apply(IDictionary<string, string?> environment, AwsSessionCredentials credentials, string region)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(credentials);
        var dropped = environment.Keys
            .Where(key => DroppedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        foreach (var key in dropped)
        {
            environment.Remove(key);
        }

        environment["AWS_ACCESS_KEY_ID"] = credentials.AccessKeyId;
        environment["AWS_SECRET_ACCESS_KEY"] = credentials.SecretAccessKey;
        environment["AWS_SESSION_TOKEN"] = credentials.SessionToken;
        environment["AWS_REGION"] = region;
        environment["AWS_DEFAULT_REGION"] = region;
        environment["AWS_EC2_METADATA_DISABLED"] = "true";
        environment["TF_IN_AUTOMATION"] = "1";
        environment["TF_INPUT"] = "0";
    }
}
