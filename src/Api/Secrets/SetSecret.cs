using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Secrets;
using EnvForge.Workflows.Local;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Secrets;

/// <summary>The value, write-only. At most 8 KiB (SSM's advanced tier ceiling).</summary>
public sealed record SetSecretRequest(string? Value)
{
    public const int MaxLength = 8192;

    public sealed class Validator : AbstractValidator<SetSecretRequest>
    {
        public Validator() =>
            // Messages name the field and the limit, never the value.
            RuleFor(r => r.Value).NotEmpty().MaximumLength(MaxLength);
    }

    /// <summary>Never shows the value, should the record reach a log or a debugger display.</summary>
    public override string ToString() => "SetSecretRequest(value hidden)";
}

public sealed record SecretVersionResponse(string Path, int Version);

/// <summary>
/// Sets a secret (Owner/Admin): authorize -> validate -> (under the org's store lock) read the current version -> decide
/// <c>organization.secret_set.v1</c> with the next version -> stage the sealed value beside its file -> append -> replace
/// the file. The event holds the path and version only; the answer too.
/// </summary>
internal static class SetSecretHandler
{
    public static async Task<Results<Ok<SecretVersionResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, string path, HttpContext http, IQuerySession session, StreamCommands commands, LocalSecretStore store,
        InfrastructureSelection provider, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (_, denied) = await OrgAccess.CheckAsync(session, orgId, subject, Permission.ManagePolicy, ct);
        if (denied is not null)
        {
            return denied;
        }

        if (!provider.IsLocal)
        {
            return SecretProblems.ManagedInAws;
        }

        var ssmPath = "/" + path;
        if (!OrgSecretDecider.IsValidPath(ssmPath))
        {
            return Problems.From(OrgSecretRejections.InvalidPath);
        }

        var (body, problem) = await RequestBody.ReadAsync<SetSecretRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        using (await store.LockAsync(orgId, ct))
        {
            var version = await store.CurrentVersionAsync(orgId, ssmPath, ct) + 1;
            StagedSecret? staged = null;
            var result = await commands.ExecuteAsync(http, OrganizationDecider.Decider, orgId,
                _ => new SetOrgSecret(orgId, ssmPath, version, subject, time.GetUtcNow()),
                beforeAppend: async (_, token) =>
                {
                    staged ??= await store.StageAsync(orgId, ssmPath, version, body!.Value!, token);
                    return null;
                });
            if (result.Problem is { } refused)
            {
                if (staged is not null)
                {
                    LocalSecretStore.Discard(staged);
                }

                return refused;
            }

            LocalSecretStore.Commit(staged!);
            return TypedResults.Ok(new SecretVersionResponse(ssmPath, version));
        }
    }
}

internal static class SecretProblems
{
    public static ProblemHttpResult ManagedInAws => Problems.Problem(StatusCodes.Status409Conflict, "secrets.managed_in_aws", "Conflict",
        "This deployment provisions on AWS: secrets live in your account's SSM Parameter Store (SecureString); set them there.");
}
