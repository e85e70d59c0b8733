using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using Microsoft.Extensions.Options;

namespace EnvForge.Workflows.Aws;

/// <summary>
/// Checks, with the org's session credentials, that every instance terraform reported is running (EC2) and that its SSM
/// agent is online (needed for shell and secrets). One look, no polling: the calling activity is retried by Temporal, so a
/// still-booting instance passes on a later attempt. Failures name the instance and the state, never AWS's message
/// (which can quote ARNs).
/// </summary>
public sealed class AwsInstanceVerifier(IOptions<AwsOptions> options) : IInstanceVerifier
{
    public async Task<IReadOnlyList<string>> VerifyAsync(
        AwsSessionCredentials credentials, string region, IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(instanceIds);
        if (instanceIds.Count == 0)
        {
            throw new VerificationFailedException(["no instances to verify"]);
        }

        var session = new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken);
        var states = await InstanceStatesAsync(session, region, instanceIds, ct);
        var pings = await PingStatusesAsync(session, region, instanceIds, ct);

        var checks = new List<string>();
        var failures = new List<string>();
        foreach (var id in instanceIds)
        {
            var state = states.GetValueOrDefault(id);
            if (state == InstanceStateName.Running.Value)
            {
                checks.Add($"ec2:running:{id}");
            }
            else
            {
                failures.Add(state is null ? $"ec2: {id} not found" : $"ec2: {id} is {state}, not running");
            }
        }

        foreach (var id in instanceIds)
        {
            var ping = pings.GetValueOrDefault(id);
            if (ping == PingStatus.Online.Value)
            {
                checks.Add($"ssm:online:{id}");
            }
            else
            {
                failures.Add(ping is null ? $"ssm: {id} is not registered with SSM" : $"ssm: {id} agent is {ping}, not Online");
            }
        }

        return failures.Count == 0 ? checks : throw new VerificationFailedException(failures);
    }

    private async Task<Dictionary<string, string>> InstanceStatesAsync(
        AWSCredentials session, string region, IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        using var ec2 = new AmazonEC2Client(session, options.Value.ConfigureClient(new AmazonEC2Config(), options.Value.Ec2ServiceUrl, region));
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        var request = new DescribeInstancesRequest { InstanceIds = [.. instanceIds] };
        try
        {
            do
            {
                var response = await ec2.DescribeInstancesAsync(request, ct);
                foreach (var instance in (response.Reservations ?? []).SelectMany(r => r.Instances ?? []))
                {
                    states[instance.InstanceId] = instance.State?.Name?.Value ?? "unknown";
                }

                request.NextToken = response.NextToken;
            }
            while (!string.IsNullOrEmpty(request.NextToken));
        }
        catch (AmazonEC2Exception ex) when (ex.ErrorCode is "InvalidInstanceID.NotFound" or "InvalidInstanceID.Malformed")
        {
            // EC2 refuses the whole call when one id is unknown: ask for each on its own to tell which.
            if (instanceIds.Count == 1)
            {
                return states;
            }

            foreach (var id in instanceIds)
            {
                foreach (var (known, state) in await InstanceStatesAsync(session, region, [id], ct))
                {
                    states[known] = state;
                }
            }
        }
        catch (AmazonServiceException ex)
        {
            // Only the error code: AWS's message can quote the role ARN.
            throw new VerificationFailedException([$"ec2: DescribeInstances refused ({ex.ErrorCode})"]);
        }

        return states;
    }

    private async Task<Dictionary<string, string>> PingStatusesAsync(
        AWSCredentials session, string region, IReadOnlyList<string> instanceIds, CancellationToken ct)
    {
        using var ssm = new AmazonSimpleSystemsManagementClient(
            session, options.Value.ConfigureClient(new AmazonSimpleSystemsManagementConfig(), options.Value.SsmServiceUrl, region));
        var pings = new Dictionary<string, string>(StringComparer.Ordinal);
        var request = new DescribeInstanceInformationRequest
        {
            Filters = [new InstanceInformationStringFilter { Key = "InstanceIds", Values = [.. instanceIds] }],
        };
        try
        {
            do
            {
                var response = await ssm.DescribeInstanceInformationAsync(request, ct);
                foreach (var info in response.InstanceInformationList ?? [])
                {
                    pings[info.InstanceId] = info.PingStatus?.Value ?? "unknown";
                }

                request.NextToken = response.NextToken;
            }
            while (!string.IsNullOrEmpty(request.NextToken));
        }
        catch (InvalidInstanceIdException)
        {
            return pings;
        }
        catch (AmazonServiceException ex)
        {
            throw new VerificationFailedException([$"ssm: DescribeInstanceInformation refused ({ex.ErrorCode})"]);
        }

        return pings;
    }
}

/// <summary>A readiness check failed. The message lists each failed check by instance id and state; it holds no secret.</summary>
public sealed class VerificationFailedException : Exception
{
    public VerificationFailedException()
        : this(["verification failed"])
    {
    }

    public VerificationFailedException(string message)
        : this([message])
    {
    }

    public VerificationFailedException(string message, Exception innerException)
        : this([message], innerException)
    {
    }

    public VerificationFailedException(IReadOnlyList<string> failures, Exception? innerException = null)
        : base($"verification failed: {string.Join("; ", failures)}", innerException)
    {
        Failures = failures;
    }

    public IReadOnlyList<string> Failures { get; }
}
