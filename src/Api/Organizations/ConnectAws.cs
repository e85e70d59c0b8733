using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Workflows.Security;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

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

/// <summary>Connects the org's AWS account (Owner/Admin): the role ARN is sealed (AES-256-GCM, bound to the org) before it is decided on.</summary>
internal static class ConnectAwsHandler
{
    public static async Task<Results<Ok<AwsConnectionResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, StreamCommands commands, FieldEncryption encryption, TimeProvider time)
    {
        var (body, problem) = await RequestBody.ReadAsync<ConnectAwsRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var subject = http.User.Subject();
        var sealedArn = encryption.Seal(body!.RoleArn!, FieldEncryption.RoleArnPurpose(orgId));
        var hint = RoleArns.AccountHint(body.RoleArn!);
        var (result, _) = await commands.ExecuteOnOrgAsync(http, orgId, Permission.ManagePolicy, member: null,
            (_, memberships) => new ConnectAws(orgId, sealedArn, hint, subject, time.GetUtcNow()) { Memberships = memberships });
        return result.Problem is { } refused
            ? refused
            : TypedResults.Ok(new AwsConnectionResponse(true, result.State.Aws?.AccountHint, result.State.ExternalId));
    }
}
