using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Workflows.Local;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Secrets;

public sealed record StoredSecretResponse(string Path, int Version, DateTimeOffset UpdatedAt);

/// <summary>The org's secrets by path and version (members who use workspaces): what to reference in envforge.yml. No value ever.</summary>
internal static class ListSecretsHandler
{
    public static async Task<Results<Ok<IReadOnlyList<StoredSecretResponse>>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, LocalSecretStore store, InfrastructureSelection provider)
    {
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, http.User.Subject(), Permission.UseWorkspaces, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        if (!provider.IsLocal)
        {
            return SecretProblems.ManagedInAws;
        }

        var secrets = await store.ListAsync(orgId, http.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<StoredSecretResponse>>([.. secrets.Select(s => new StoredSecretResponse(s.Path, s.Version, s.UpdatedAt))]);
    }
}
