using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Workflows.Security;
using FluentValidation;
using Marten;

namespace EnvForge.Api.Organizations;

public sealed record ConnectAwsRequest(string? RoleArn)
{
    public sealed class Validator : AbstractValidator<ConnectAwsRequest>
    {
        // The message never repeats the value: a role ARN is sensitive even when malformed.
        public Validator() => RuleFor(r => r.RoleArn).NotEmpty().Must(RoleArns.IsValid)
            .WithMessage("RoleArn must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>.");
    }
}

public sealed record AwsConnectionResponse(bool Connected, string? AccountHint, string ExternalId);

public sealed record WorkspacePolicyRequest(int? IdleTimeoutMinutes)
{
    public sealed class Validator : AbstractValidator<WorkspacePolicyRequest>
    {
        public Validator() => RuleFor(r => r.IdleTimeoutMinutes).NotNull();
    }
}

public sealed record WorkspacePolicyResponse(int IdleTimeoutMinutes);

internal static class AwsConnectionHandlers
{
    public static async Task<IResult> ConnectAsync(Guid orgId, HttpContext http, IDocumentSession session, FieldEncryption encryption, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<ConnectAwsRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var sealedArn = encryption.Seal(body!.RoleArn!, FieldEncryption.RoleArnPurpose(orgId));
        var hint = RoleArns.AccountHint(body.RoleArn!);
        return await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManagePolicy,
            _ => new ConnectAws(orgId, sealedArn, hint, http.User.Subject(), time.GetUtcNow()),
            (org, _, _) => TypedResults.Ok(new AwsConnectionResponse(true, org.Aws?.AccountHint, org.ExternalId)));
    }

    public static Task<IResult> DisconnectAsync(Guid orgId, HttpContext http, IDocumentSession session, TimeProvider time) =>
        OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManagePolicy,
            _ => new DisconnectAws(orgId, http.User.Subject(), time.GetUtcNow()),
            (org, _, _) => TypedResults.Ok(new AwsConnectionResponse(false, null, org.ExternalId)));

    public static async Task<IResult> SetWorkspacePolicyAsync(Guid orgId, HttpContext http, IDocumentSession session, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<WorkspacePolicyRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        return await OrganizationStream.ExecuteAsync(http, session, orgId, Permission.ManagePolicy,
            _ => new SetWorkspacePolicy(orgId, body!.IdleTimeoutMinutes!.Value, http.User.Subject(), time.GetUtcNow()),
            (org, _, _) => TypedResults.Ok(new WorkspacePolicyResponse(org.IdleTimeoutMinutes)));
    }
}
