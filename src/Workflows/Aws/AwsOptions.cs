using Amazon;
using Amazon.Runtime;

namespace EnvForge.Workflows.Aws;

/// <summary>
/// Bound from "Aws". The service URLs are empty in production (the SDK resolves AWS's endpoints); tests point the real
/// SDK clients at a local stand-in with them, so serialization, SigV4 signing and retries run for real.
/// </summary>
public sealed class AwsOptions
{
    public const string Section = "Aws";

    public string Region { get; set; } = "us-east-1";

    public string? StsServiceUrl { get; set; }

    public string? Ec2ServiceUrl { get; set; }

    public string? SsmServiceUrl { get; set; }

    /// <summary>Retries after the first attempt, in the SDK's standard retry mode (throttling and transient errors only).</summary>
    public int MaxErrorRetry { get; set; } = 4;

    /// <summary>Applies region, endpoint override and retry policy to an SDK client configuration.</summary>
    public TConfig ConfigureClient<TConfig>(TConfig config, string? serviceUrl, string? region = null)
        where TConfig : ClientConfig
    {
        var regionName = string.IsNullOrWhiteSpace(region) ? Region : region;
        if (string.IsNullOrWhiteSpace(serviceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(regionName);
        }
        else
        {
            // An explicit endpoint has no region to infer signing from, so name it.
            config.ServiceURL = serviceUrl;
            config.AuthenticationRegion = regionName;
        }

        config.RetryMode = RequestRetryMode.Standard;
        config.MaxErrorRetry = MaxErrorRetry;
        return config;
    }
}
