using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Terraform;

namespace EnvForge.Tests.Terraform;

public sealed class RedactionTests
{
    [Theory]
    [InlineData("key AKIAIOSFODNN7EXAMPLE here", "key [redacted] here")]
    [InlineData("key ASIAY34FZKBOKMUTVV7A.", "key [redacted].")]
    [InlineData("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end", "secret [redacted] end")]
    [InlineData("token FwoGZXIvYXdzEJr//////////wEaDM+abc+def/ghiJKLmnoPQRstuVWXyz0123456789== end", "token [redacted] end")]
    public void Redact_removes_what_looks_like_aws_credentials(string text, string expected) =>
        Assert.Equal(expected, Redaction.Redact(text));

    [Fact]
    public void Redact_removes_the_runs_own_credentials_even_when_short()
    {
        var credentials = new AwsSessionCredentials("KEYID", "short-secret", "short-token", DateTimeOffset.UtcNow);

        Assert.Equal("[redacted] [redacted] [redacted]", Redaction.Redact("KEYID short-secret short-token", credentials));
    }

    [Theory]
    [InlineData("aws_instance.workspace: Creation complete after 32s [id=i-0a1b2c3d4e5f60718]")]
    [InlineData("RequestID: 4b7c3e1d-2f0a-4c55-9d61-0e2c7a1f9b33, api error ExpiredToken")]
    [InlineData("arn:aws:iam::444455556666:role/EnvForgeAccess")]
    public void Redact_leaves_ordinary_terraform_text_alone(string text) =>
        Assert.Equal(text, Redaction.Redact(text));
}
