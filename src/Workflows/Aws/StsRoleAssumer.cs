using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Options;
using StsAssumeRoleRequest = Amazon.SecurityToken.Model.AssumeRoleRequest;

namespace EnvForge.Workflows.Aws;

/// <summary>
/// Assumes customer roles with STS, signed with EnvForge's own identity: the SDK's default credential chain in production
/// (instance profile, environment, profile), or the credentials given here (tests). Throttling and transient errors are
/// retried by the SDK's standard retry mode; refusals such as AccessDenied surface at once as <see cref="AmazonServiceException"/>.
/// </summary>
public sealed class StsRoleAssumer : IRoleAssumer, IDisposable
{
    private const string AssumedRoleMarker = ":assumed-role/";

    private readonly AmazonSecurityTokenServiceClient client;
    private bool? platformIsRole;

    public StsRoleAssumer(IOptions<AwsOptions> options, AWSCredentials? platformCredentials = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Value.ConfigureClient(new AmazonSecurityTokenServiceConfig(), options.Value.StsServiceUrl);
        client = platformCredentials is null
            ? new AmazonSecurityTokenServiceClient(config)
            : new AmazonSecurityTokenServiceClient(platformCredentials, config);
    }

    public async Task<AwsSessionCredentials> AssumeAsync(AssumeRoleRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await client.AssumeRoleAsync(
            new StsAssumeRoleRequest
            {
                RoleArn = request.RoleArn,
                ExternalId = request.ExternalId,
                RoleSessionName = request.SessionName,
                DurationSeconds = (int)request.Duration.TotalSeconds,
            },
            ct);

        var credentials = response.Credentials
            ?? throw new InvalidOperationException("STS AssumeRole answered without credentials");
        var expiration = credentials.Expiration
            ?? throw new InvalidOperationException("STS AssumeRole answered without an expiration");
        return new AwsSessionCredentials(
            credentials.AccessKeyId,
            credentials.SecretAccessKey,
            credentials.SessionToken,
            new DateTimeOffset(DateTime.SpecifyKind(expiration.ToUniversalTime(), DateTimeKind.Utc)));
    }

    public async Task<bool> PlatformIdentityIsRoleAsync(CancellationToken ct)
    {
        // The platform's identity does not change kind while the process runs; ask STS once.
        if (platformIsRole is { } known)
        {
            return known;
        }

        var identity = await client.GetCallerIdentityAsync(new GetCallerIdentityRequest(), ct);
        var isRole = identity.Arn?.Contains(AssumedRoleMarker, StringComparison.Ordinal) ?? false;
        platformIsRole = isRole;
        return isRole;
    }

    public void Dispose() => client.Dispose();
}
