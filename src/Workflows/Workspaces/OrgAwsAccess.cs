using System.Security.Cryptography;
using Amazon.Runtime;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Workflows.Aws;
using EnvForge.Workflows.Security;
using Marten;
using Temporalio.Exceptions;

namespace EnvForge.Workflows.Workspaces;

/// <summary>
/// Assumes an org's role for work on one workspace: opens the sealed role ARN, applies the session policy (name,
/// duration) and calls STS. The ARN and the credentials stay in the caller's memory; failures carry only AWS's
/// error code, because AWS messages quote ARNs and Temporal stores failure messages in its history.
/// </summary>
public sealed class OrgAwsAccess(IDocumentStore store, IRoleAssumer roles, FieldEncryption encryption)
{
    public async Task<(AwsSessionCredentials Credentials, AssumeRoleRequest Request)> AssumeAsync(
        Guid orgId, Guid workspaceId, string requester, CancellationToken ct)
    {
        Organization org;
        await using (var session = store.QuerySession())
        {
            org = await session.LoadAsync<Organization>(orgId, ct)
                ?? throw new ApplicationFailureException("the organization does not exist", OrganizationRejections.NotFound.Code, nonRetryable: true);
        }

        if (org.Aws is null)
        {
            throw new ApplicationFailureException(WorkspaceRejections.AwsNotConnected.Message, WorkspaceRejections.AwsNotConnected.Code, nonRetryable: true);
        }

        string roleArn;
        try
        {
            roleArn = encryption.Open(org.Aws.RoleArn, FieldEncryption.RoleArnPurpose(org.Id));
        }
        catch (CryptographicException)
        {
            throw new ApplicationFailureException("the org's role ARN could not be decrypted (missing or rotated-out key)", "aws_role_unreadable", nonRetryable: true);
        }

        var platformIsRole = await roles.PlatformIdentityIsRoleAsync(ct);
        var request = new AssumeRoleRequest(roleArn, org.ExternalId, RoleSessions.Name(workspaceId, requester), RoleSessions.Duration(null, platformIsRole));
        try
        {
            return (await roles.AssumeAsync(request, ct), request);
        }
        catch (AmazonServiceException ex)
        {
            var final = ex.ErrorCode is "AccessDenied" or "ValidationError" or "MalformedPolicyDocument" or "RegionDisabledException";
            throw new ApplicationFailureException(
                $"STS refused AssumeRole ({ex.ErrorCode}); check the role's trust policy and external ID", "aws_assume_role_failed", nonRetryable: final);
        }
    }
}
