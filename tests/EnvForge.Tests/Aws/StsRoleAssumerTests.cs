using Amazon.Runtime;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Aws;

/// <summary>The real STS client against the wire-level stand-in: what is sent, how it is signed, what is retried.</summary>
public sealed class StsRoleAssumerTests : IAsyncLifetime
{
    private const string PlatformKeyId = "AKIAPLATFORMSTUB0001";
    private const string RoleArn = "arn:aws:iam::444455556666:role/EnvForgeAccess";
    private const string ExternalId = "ef-ext-3f9c2a71d0b84e6f";

    private AwsStub stub = null!;

    public async ValueTask InitializeAsync() => stub = await AwsStub.StartAsync();

    public async ValueTask DisposeAsync() => await stub.DisposeAsync();

    [Fact]
    public async Task AssumeRole_sends_external_id_duration_and_session_name()
    {
        using var assumer = Assumer();

        await assumer.AssumeAsync(new AssumeRoleRequest(RoleArn, ExternalId, "ws-1234-alice@example.com", TimeSpan.FromHours(2)), default);

        var call = Assert.Single(stub.RequestsFor("AssumeRole"));
        Assert.Equal(RoleArn, call.Form["RoleArn"]);
        Assert.Equal(ExternalId, call.Form["ExternalId"]);
        Assert.Equal("7200", call.Form["DurationSeconds"]);
        Assert.Equal("ws-1234-alice@example.com", call.Form["RoleSessionName"]);
        Assert.Equal("2011-06-15", call.Form["Version"]);
    }

    [Fact]
    public async Task AssumeRole_is_signed_with_sigv4_by_the_platform_identity()
    {
        using var assumer = Assumer();

        await assumer.AssumeAsync(Request(), default);

        var authorization = Assert.Single(stub.RequestsFor("AssumeRole")).Header("Authorization");
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={PlatformKeyId}/", authorization, StringComparison.Ordinal);
        Assert.Contains("/us-east-1/sts/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Contains("Signature=", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssumeRole_returns_the_session_credentials_and_their_expiry()
    {
        using var assumer = Assumer();

        var credentials = await assumer.AssumeAsync(Request(), default);

        var issued = Assert.Single(stub.Issued);
        Assert.Equal(issued.AccessKeyId, credentials.AccessKeyId);
        Assert.Equal(issued.SecretAccessKey, credentials.SecretAccessKey);
        Assert.Equal(issued.SessionToken, credentials.SessionToken);
        Assert.InRange(credentials.Expiration, issued.Expiration.AddSeconds(-1), issued.Expiration.AddSeconds(1));
        Assert.Equal(TimeSpan.Zero, credentials.Expiration.Offset);
        Assert.DoesNotContain(credentials.SecretAccessKey, credentials.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssumeRole_retries_throttling_and_succeeds()
    {
        stub.ThrottleNextAssumeRoles(2);
        using var assumer = Assumer();

        var credentials = await assumer.AssumeAsync(Request(), default);

        Assert.Equal(3, stub.RequestsFor("AssumeRole").Count);
        Assert.Equal(Assert.Single(stub.Issued).AccessKeyId, credentials.AccessKeyId);
    }

    [Fact]
    public async Task AssumeRole_gives_up_on_throttling_after_the_configured_retries()
    {
        stub.ThrottleNextAssumeRoles(10);
        using var assumer = Assumer(maxErrorRetry: 1);

        var error = await Assert.ThrowsAnyAsync<AmazonServiceException>(() => assumer.AssumeAsync(Request(), default));

        Assert.Equal("Throttling", error.ErrorCode);
        Assert.Equal(2, stub.RequestsFor("AssumeRole").Count);
    }

    [Fact]
    public async Task AssumeRole_does_not_retry_access_denied()
    {
        stub.DenyAssumeRole();
        using var assumer = Assumer();

        var error = await Assert.ThrowsAnyAsync<AmazonServiceException>(() => assumer.AssumeAsync(Request(), default));

        Assert.Equal("AccessDenied", error.ErrorCode);
        Assert.Single(stub.RequestsFor("AssumeRole"));
    }

    [Theory]
    [InlineData("arn:aws:sts::111122223333:assumed-role/envforge-control-plane/i-0123456789abcdef0", true)]
    [InlineData("arn:aws:iam::111122223333:user/envforge-platform", false)]
    [InlineData("arn:aws:iam::111122223333:root", false)]
    public async Task Platform_identity_is_a_role_only_when_the_caller_is_an_assumed_role(string callerArn, bool isRole)
    {
        stub.CallerArn = callerArn;
        using var assumer = Assumer();

        Assert.Equal(isRole, await assumer.PlatformIdentityIsRoleAsync(default));
        Assert.Equal(isRole, await assumer.PlatformIdentityIsRoleAsync(default));

        var call = Assert.Single(stub.RequestsFor("GetCallerIdentity"));
        Assert.StartsWith("AWS4-HMAC-SHA256 ", call.Header("Authorization"), StringComparison.Ordinal);
    }

    private static AssumeRoleRequest Request() =>
        new(RoleArn, ExternalId, RoleSessions.Name(Guid.CreateVersion7(), "alice@example.com"), RoleSessions.Duration(null, false));

    private StsRoleAssumer Assumer(int maxErrorRetry = 4) => new(
        Options.Create(stub.Options(maxErrorRetry)),
        new BasicAWSCredentials(PlatformKeyId, "platformSecretKeyForTheStubOnly0000000000"));
}
