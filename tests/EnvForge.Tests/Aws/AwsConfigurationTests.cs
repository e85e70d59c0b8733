using Amazon.Runtime;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Terraform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EnvForge.Tests.Aws;

/// <summary>The "Aws" and "Terraform" sections bind as documented, and the clients resolve from a service container.</summary>
public sealed class AwsConfigurationTests
{
    [Fact]
    public void Defaults_are_us_east_1_four_retries_and_the_terraform_on_path()
    {
        var aws = new AwsOptions();
        var terraform = new TerraformOptions();

        Assert.Equal(("us-east-1", 4, null), (aws.Region, aws.MaxErrorRetry, aws.StsServiceUrl));
        Assert.Equal(("terraform", true, 2), (terraform.Executable, terraform.Init, terraform.MaxCredentialRefreshes));
    }

    [Fact]
    public async Task Role_assumer_resolves_from_configuration_and_signs_with_the_registered_platform_credentials()
    {
        await using var stub = await AwsStub.StartAsync();
        stub.CallerArn = "arn:aws:sts::111122223333:assumed-role/envforge-control-plane/i-0123456789abcdef0";
        await using var provider = Services(new Dictionary<string, string?>
        {
            ["Aws:Region"] = "eu-west-1",
            ["Aws:StsServiceUrl"] = stub.Url,
            ["Aws:MaxErrorRetry"] = "2",
        }, new BasicAWSCredentials("AKIACONFIGURED000001", "configuredPlatformSecretForTheStubOnly00")).BuildServiceProvider();

        var assumer = provider.GetRequiredService<IRoleAssumer>();

        Assert.True(await assumer.PlatformIdentityIsRoleAsync(default));
        var authorization = Assert.Single(stub.RequestsFor("GetCallerIdentity")).Header("Authorization");
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIACONFIGURED000001/", authorization, StringComparison.Ordinal);
        Assert.Contains("/eu-west-1/sts/aws4_request", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clients_resolve_without_registered_credentials_using_the_default_chain()
    {
        await using var provider = Services(new Dictionary<string, string?>(), platformCredentials: null).BuildServiceProvider();

        Assert.IsType<StsRoleAssumer>(provider.GetRequiredService<IRoleAssumer>());
        Assert.IsType<AwsInstanceVerifier>(provider.GetRequiredService<IInstanceVerifier>());
        Assert.IsType<ProcessTerraformRunner>(provider.GetRequiredService<ITerraformRunner>());
    }

    [Fact]
    public void Terraform_section_binds_backend_config_pairs()
    {
        using var provider = Services(new Dictionary<string, string?>
        {
            ["Terraform:Executable"] = "/usr/local/bin/tofu",
            ["Terraform:ModuleDirectory"] = "/srv/envforge/module",
            ["Terraform:BackendConfig:0"] = "bucket=envforge-state",
            ["Terraform:BackendConfig:1"] = "key=workspaces/{workspace_id}.tfstate",
        }, platformCredentials: null).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TerraformOptions>>().Value;

        Assert.Equal("/usr/local/bin/tofu", options.Executable);
        Assert.Equal("/srv/envforge/module", options.ModuleDirectory);
        Assert.Equal(["bucket=envforge-state", "key=workspaces/{workspace_id}.tfstate"], options.BackendConfig);
    }

    // The same registrations as the workflow host's (AddEnvForgeWorkflows), without Temporal and Marten.
    private static ServiceCollection Services(Dictionary<string, string?> settings, AWSCredentials? platformCredentials)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.ClearProviders());
        services.AddSingleton(TimeProvider.System);
        if (platformCredentials is not null)
        {
            services.AddSingleton(platformCredentials);
        }

        services.AddOptions<AwsOptions>().Bind(configuration.GetSection(AwsOptions.Section));
        services.AddOptions<TerraformOptions>().Bind(configuration.GetSection(TerraformOptions.Section));
        services.AddSingleton<IRoleAssumer, StsRoleAssumer>();
        services.AddSingleton<IInstanceVerifier, AwsInstanceVerifier>();
        services.AddSingleton<ITerraformRunner, ProcessTerraformRunner>();
        return services;
    }
}
