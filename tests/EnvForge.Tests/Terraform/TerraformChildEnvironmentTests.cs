using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Terraform;

namespace EnvForge.Tests.Terraform;

public sealed class TerraformChildEnvironmentTests
{
    [Fact]
    public void Session_credentials_replace_everything_aws_the_parent_had()
    {
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin",
            ["HOME"] = "/root",
            ["AWS_PROFILE"] = "envforge-platform",
            ["AWS_ACCESS_KEY_ID"] = "AKIAPLATFORMOWNKEY01",
            ["AWS_SECRET_ACCESS_KEY"] = "platform-secret",
            ["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/platform",
            ["aws_web_identity_token_file"] = "/var/run/token",
            ["TF_VAR_instance_type"] = "x1e.32xlarge",
            ["TF_CLI_ARGS_apply"] = "-destroy",
            ["TF_LOG"] = "TRACE",
        };
        var session = new AwsSessionCredentials("ASIASESSION000000001", "session-secret", "session-token", DateTimeOffset.UtcNow.AddHours(1));

        TerraformChildEnvironment.Apply(environment, session, "eu-central-1");

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["PATH"] = "/usr/bin",
                ["HOME"] = "/root",
                ["AWS_ACCESS_KEY_ID"] = "ASIASESSION000000001",
                ["AWS_SECRET_ACCESS_KEY"] = "session-secret",
                ["AWS_SESSION_TOKEN"] = "session-token",
                ["AWS_REGION"] = "eu-central-1",
                ["AWS_DEFAULT_REGION"] = "eu-central-1",
                ["AWS_EC2_METADATA_DISABLED"] = "true",
                ["TF_IN_AUTOMATION"] = "1",
                ["TF_INPUT"] = "0",
            },
            environment);
    }
}
