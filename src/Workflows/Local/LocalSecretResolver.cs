using System.Security.Cryptography;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Workspaces;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Resolves a workspace's declared secrets from the local secret store, as the SSM resolver does from Parameter Store:
/// each service gets the secrets declared for it and nothing else. A missing secret fails the wake by path, never by value.
/// </summary>
public sealed class LocalSecretResolver(LocalSecretStore store) : ISecretResolver
{
    public async Task<ResolvedSecrets> ResolveAsync(Workspace workspace, CancellationToken ct)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var path in workspace.Secrets.Select(s => s.SsmPath).Distinct(StringComparer.Ordinal))
        {
            string? value;
            try
            {
                value = await store.ReadAsync(workspace.OrgId, path, ct);
            }
            catch (CryptographicException)
            {
                throw new ApplicationFailureException($"secret {path} could not be decrypted (missing or rotated-out key)", "secret_unreadable", nonRetryable: true);
            }

            if (value is null)
            {
                missing.Add(path);
            }
            else
            {
                values[path] = value;
            }
        }

        if (missing.Count > 0)
        {
            throw new ApplicationFailureException(
                $"secrets not set: {string.Join(", ", missing)} (PUT /orgs/{workspace.OrgId}/secrets{missing[0]})", "secret_not_found", nonRetryable: true);
        }

        return new ResolvedSecrets(workspace.Secrets
            .GroupBy(s => s.Service)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string>)g.ToDictionary(s => s.Name, s => values[s.SsmPath])));
    }
}
