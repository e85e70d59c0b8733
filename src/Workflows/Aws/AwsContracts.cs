namespace EnvForge.Workflows.Aws;

/// <summary>
/// Temporary credentials from STS. They live only in activity memory and in the terraform child process's
/// environment; <see cref="ToString"/> is redacted so they cannot reach a log by accident.
/// </summary>
public sealed record AwsSessionCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration)
{
    public override string ToString() => $"AwsSessionCredentials(expires {Expiration:O})";
}

/// <summary>Everything needed to assume an org's role. The ARN is plaintext here, so this never leaves the activity.</summary>
public sealed record AssumeRoleRequest(string RoleArn, string ExternalId, string SessionName, TimeSpan Duration)
{
    public override string ToString() => $"AssumeRoleRequest(session {SessionName}, {Duration})";
}

public interface IRoleAssumer
{
    Task<AwsSessionCredentials> AssumeAsync(AssumeRoleRequest request, CancellationToken ct);

    /// <summary>True when EnvForge's own identity is itself an assumed role (AWS then caps chained sessions at 1 h).</summary>
    Task<bool> PlatformIdentityIsRoleAsync(CancellationToken ct);
}

/// <summary>EC2 and SSM checks on the instances terraform reported.</summary>
public interface IInstanceVerifier
{
    Task<IReadOnlyList<string>> VerifyAsync(AwsSessionCredentials credentials, string region, IReadOnlyList<string> instanceIds, CancellationToken ct);
}
