using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Aws;

/// <summary>The real EC2 and SSM clients against the wire-level stand-in, signed with the org's session credentials.</summary>
public sealed class AwsInstanceVerifierTests : IAsyncLifetime
{
    private const string First = "i-0a1b2c3d4e5f60718";
    private const string Second = "i-0fedcba9876543210";

    private static readonly AwsSessionCredentials Session = new(
        "ASIASESSIONSTUB00001", "sessionSecretKeyForTheStubOnly0000000000", "SessionTokenForTheStub" + new string('T', 200), DateTimeOffset.UtcNow.AddHours(1));

    private AwsStub stub = null!;

    public async ValueTask InitializeAsync() => stub = await AwsStub.StartAsync();

    public async ValueTask DisposeAsync() => await stub.DisposeAsync();

    [Fact]
    public async Task Verify_passes_when_every_instance_is_running_and_online()
    {
        Ready(First);
        Ready(Second);

        var checks = await Verifier().VerifyAsync(Session, "us-east-1", [First, Second], default);

        Assert.Equal([$"ec2:running:{First}", $"ec2:running:{Second}", $"ssm:online:{First}", $"ssm:online:{Second}"], checks);
    }

    [Fact]
    public async Task Verify_asks_ec2_and_ssm_for_exactly_those_instances_with_the_session_credentials()
    {
        Ready(First);
        Ready(Second);

        await Verifier().VerifyAsync(Session, "eu-west-1", [First, Second], default);

        var ec2 = Assert.Single(stub.RequestsFor("DescribeInstances"));
        Assert.Equal(First, ec2.Form["InstanceId.1"]);
        Assert.Equal(Second, ec2.Form["InstanceId.2"]);
        var ssm = Assert.Single(stub.RequestsFor("DescribeInstanceInformation"));
        Assert.Equal("AmazonSSM.DescribeInstanceInformation", ssm.Header("X-Amz-Target"));
        Assert.Contains("\"InstanceIds\"", ssm.Body, StringComparison.Ordinal);
        Assert.Contains(First, ssm.Body, StringComparison.Ordinal);
        foreach (var (call, service) in new[] { (ec2, "ec2"), (ssm, "ssm") })
        {
            Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={Session.AccessKeyId}/", call.Header("Authorization"), StringComparison.Ordinal);
            Assert.Contains($"/eu-west-1/{service}/aws4_request", call.Header("Authorization"), StringComparison.Ordinal);
            Assert.Equal(Session.SessionToken, call.Header("X-Amz-Security-Token"));
        }
    }

    [Theory]
    [InlineData("stopped")]
    [InlineData("pending")]
    [InlineData("terminated")]
    public async Task Verify_fails_when_an_instance_is_not_running(string state)
    {
        Ready(First);
        Ready(Second);
        stub.SetInstance(Second, state);

        var error = await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [First, Second], default));

        Assert.Equal([$"ec2: {Second} is {state}, not running"], error.Failures);
    }

    [Fact]
    public async Task Verify_fails_when_the_ssm_agent_lost_its_connection()
    {
        Ready(First);
        stub.SetPing(First, "ConnectionLost");

        var error = await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [First], default));

        Assert.Equal([$"ssm: {First} agent is ConnectionLost, not Online"], error.Failures);
    }

    [Fact]
    public async Task Verify_fails_when_an_instance_never_registered_with_ssm()
    {
        stub.SetInstance(First, "running");

        var error = await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [First], default));

        Assert.Equal([$"ssm: {First} is not registered with SSM"], error.Failures);
    }

    [Fact]
    public async Task Verify_fails_when_ec2_does_not_know_an_instance()
    {
        Ready(First);

        var error = await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [First, Second], default));

        Assert.Equal([$"ec2: {Second} not found", $"ssm: {Second} is not registered with SSM"], error.Failures);
    }

    [Fact]
    public async Task Verify_failure_message_names_checks_but_no_credential()
    {
        stub.SetInstance(First, "stopped");
        stub.SetPing(First, "ConnectionLost");

        var error = await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [First], default));

        Assert.Equal($"verification failed: ec2: {First} is stopped, not running; ssm: {First} agent is ConnectionLost, not Online", error.Message);
        Assert.DoesNotContain(Session.AccessKeyId, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Session.SecretAccessKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_refuses_an_empty_instance_list() =>
        await Assert.ThrowsAsync<VerificationFailedException>(() => Verifier().VerifyAsync(Session, "us-east-1", [], default));

    private void Ready(string instanceId)
    {
        stub.SetInstance(instanceId, "running");
        stub.SetPing(instanceId, "Online");
    }

    private AwsInstanceVerifier Verifier() => new(Options.Create(stub.Options()));
}
