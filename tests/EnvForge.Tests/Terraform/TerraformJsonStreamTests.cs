using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Terraform;

namespace EnvForge.Tests.Terraform;

/// <summary>Parsing terraform's machine-readable UI, line by line, into progress and a secret-free result.</summary>
public sealed class TerraformJsonStreamTests
{
    private static readonly AwsSessionCredentials Session = new(
        "ASIAJSONSTREAMTEST01", "jsonStreamSecretKeyForTestsOnly000000000", "JsonStreamSessionToken" + new string('Z', 120), DateTimeOffset.UtcNow.AddHours(1));

    [Fact]
    public void Progress_carries_the_message_type_and_text()
    {
        var stream = new TerraformJsonStream();

        var progress = stream.Read("""{"@level":"info","@message":"aws_instance.workspace: Creating...","type":"apply_start","hook":{"action":"create"}}""");

        Assert.Equal(new TerraformProgress("apply_start", "aws_instance.workspace: Creating..."), progress);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Initializing provider plugins...")]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"@message":"no type"}""")]
    public void Lines_that_are_not_terraform_messages_are_ignored(string line)
    {
        var stream = new TerraformJsonStream();

        Assert.Null(stream.Read(line));
        Assert.Empty(stream.Errors);
    }

    [Fact]
    public void Counts_come_from_the_last_change_summary()
    {
        var stream = new TerraformJsonStream();
        stream.Read("""{"@message":"Plan: 2 to add, 0 to change, 0 to destroy.","type":"change_summary","changes":{"add":2,"change":0,"import":0,"remove":0,"operation":"plan"}}""");
        stream.Read("""{"@message":"Apply complete! Resources: 2 added, 1 changed, 0 destroyed.","type":"change_summary","changes":{"add":2,"change":1,"import":0,"remove":0,"operation":"apply"}}""");

        Assert.Equal("apply: 2 added, 1 changed, 0 destroyed; outputs: none", stream.Summary(TerraformCommand.Apply));
    }

    [Fact]
    public void Outputs_are_reported_by_name_and_sensitive_ones_not_at_all()
    {
        var stream = new TerraformJsonStream();

        var progress = stream.Read("""
            {"@message":"Outputs: 3","type":"outputs","outputs":{"instance_ids":{"sensitive":false,"type":["list","string"],"value":["i-0a1b2c3d4e5f60718"]},"private_ip":{"sensitive":false,"type":"string","value":"10.0.1.23"},"db_password":{"sensitive":true,"type":"string","value":"hunter2hunter2"}}}
            """);

        Assert.Equal(["instance_ids", "private_ip"], stream.OutputNames);
        Assert.Equal("apply: no change summary; outputs: instance_ids, private_ip (+1 sensitive)", stream.Summary(TerraformCommand.Apply));
        Assert.Equal(new TerraformProgress("outputs", "outputs: instance_ids, private_ip"), progress);
        Assert.DoesNotContain("10.0.1.23", stream.Summary(TerraformCommand.Apply), StringComparison.Ordinal);
        Assert.DoesNotContain("db_password", stream.Summary(TerraformCommand.Apply), StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_ids_come_from_the_instance_ids_output_and_malformed_ones_are_dropped()
    {
        var stream = new TerraformJsonStream();

        stream.Read("""{"type":"outputs","outputs":{"instance_ids":{"sensitive":false,"value":["i-0a1b2c3d4e5f60718","i-0fedcba9876543210","not-an-id; rm -rf /",42]}}}""");

        Assert.Equal(["i-0a1b2c3d4e5f60718", "i-0fedcba9876543210"], stream.InstanceIds);
        Assert.EndsWith("ignored 2 malformed instance id(s)", stream.Summary(TerraformCommand.Apply), StringComparison.Ordinal);
    }

    [Fact]
    public void Error_diagnostics_are_collected_redacted_and_warnings_are_not()
    {
        var stream = new TerraformJsonStream(Session);

        stream.Read("""{"type":"diagnostic","diagnostic":{"severity":"warning","summary":"Argument is deprecated","detail":""}}""");
        stream.Read($$$"""{"type":"diagnostic","diagnostic":{"severity":"error","summary":"creating EC2 Instance: SignatureDoesNotMatch Credential={{{Session.AccessKeyId}}}/20261122 secret {{{Session.SecretAccessKey}}}","detail":""}}""");

        var error = Assert.Single(stream.Errors);
        Assert.StartsWith("creating EC2 Instance: SignatureDoesNotMatch Credential=[redacted]/20261122", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Session.SecretAccessKey, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api error ExpiredToken: The security token included in the request is expired")]
    [InlineData("ExpiredTokenException: Token expired")]
    [InlineData("The security token included in the request is expired")]
    public void Expired_credentials_are_recognised_in_diagnostics(string summary)
    {
        var stream = new TerraformJsonStream();

        stream.Read($$$"""{"type":"diagnostic","diagnostic":{"severity":"error","summary":"{{{summary}}}","detail":""}}""");

        Assert.True(stream.MentionsExpiredCredentials);
    }

    [Fact]
    public void Other_errors_are_not_taken_for_expired_credentials()
    {
        var stream = new TerraformJsonStream();

        stream.Read("""{"type":"diagnostic","diagnostic":{"severity":"error","summary":"api error UnauthorizedOperation: You are not authorized","detail":""}}""");

        Assert.False(stream.MentionsExpiredCredentials);
    }

    [Fact]
    public void Plain_error_lines_stand_in_when_there_is_no_json_diagnostic()
    {
        var stream = new TerraformJsonStream();

        stream.ReadPlain("╷");
        stream.ReadPlain("│ Error: Failed to get existing workspaces: S3 bucket does not exist.");
        stream.ReadPlain("│ other detail");

        Assert.Equal(["Failed to get existing workspaces: S3 bucket does not exist."], stream.Errors);
    }
}
