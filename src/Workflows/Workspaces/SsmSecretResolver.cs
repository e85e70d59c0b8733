using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Aws;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// Resolves a workspace's declared secrets from SSM Parameter Store (SecureString, decrypted by AWS) with the org's
/// assumed role. Values exist only in the returned object; a missing parameter fails the wake by name, never by value.
/// </summary>
public sealed class SsmSecretResolver(OrgAwsAccess access, IOptions<AwsOptions> options) : ISecretResolver
{
    private const int BatchSize = 10; // GetParameters takes at most 10 names per call

    public async Task<ResolvedSecrets> ResolveAsync(Workspace workspace, CancellationToken ct)
    {
        if (workspace.Secrets.Count == 0)
        {
            return new ResolvedSecrets(new Dictionary<string, IReadOnlyDictionary<string, string>>());
        }

        var (credentials, _) = await access.AssumeAsync(workspace.OrgId, workspace.Id, "system:runtime", ct);
        using var ssm = Client(credentials);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in workspace.Secrets.Select(s => s.SsmPath).Distinct().Chunk(BatchSize))
        {
            var response = await ssm.GetParametersAsync(new GetParametersRequest { Names = [.. batch], WithDecryption = true }, ct);
            if (response.InvalidParameters is { Count: > 0 } missing)
            {
                throw new ApplicationFailureException($"SSM parameters not found: {string.Join(", ", missing)}", "secret_not_found", nonRetryable: true);
            }

            foreach (var parameter in response.Parameters)
            {
                values[parameter.Name] = parameter.Value;
            }
        }

        var byService = workspace.Secrets
            .GroupBy(s => s.Service)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string>)g.ToDictionary(s => s.Name, s => values[s.SsmPath]));
        return new ResolvedSecrets(byService);
    }

    private AmazonSimpleSystemsManagementClient Client(AwsSessionCredentials credentials) => new(
        new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
        options.Value.ConfigureClient(new AmazonSimpleSystemsManagementConfig(), options.Value.SsmServiceUrl));
}
