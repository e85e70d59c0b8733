using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

public sealed record WorkspacePolicyRequest(int? IdleTimeoutMinutes)
{
    public sealed class Validator : AbstractValidator<WorkspacePolicyRequest>
    {
        public Validator() => RuleFor(r => r.IdleTimeoutMinutes).NotNull();
    }
}

public sealed record WorkspacePolicyResponse(int IdleTimeoutMinutes);

/// <summary>The org's idle timeout for awake workspaces (Owner/Admin): an Organization event. Honours If-Match.</summary>
internal static class SetWorkspacePolicyHandler
{
    public static async Task<Results<Ok<WorkspacePolicyResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, StreamCommands commands, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<WorkspacePolicyRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var subject = http.User.Subject();
        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManagePolicy, member: null,
            (_, memberships) => new SetWorkspacePolicy(orgId, body!.IdleTimeoutMinutes!.Value, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused ? refused : TypedResults.Ok(new WorkspacePolicyResponse(result.State.IdleTimeoutMinutes));
    }
}
