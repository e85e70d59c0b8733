using System.Text.Json.Nodes;
using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Organizations;

/// <summary>Bound from "Aws": the principal EnvForge assumes customer roles from.</summary>
public sealed class PlatformAwsOptions
{
    /// <summary>EnvForge's own AWS account id, trusted by the customer's role.</summary>
    public string PlatformAccountId { get; set; } = "000000000000";
}

public sealed record AwsSetupResponse(string ExternalId, JsonObject TrustPolicy, JsonObject PermissionsPolicy, IReadOnlyList<string> Steps);

/// <summary>
/// What a customer pastes into IAM: the trust policy (our account, only with the org's external ID: the
/// confused-deputy guard) and a least-privilege permissions policy for what provisioning and runtime do.
/// </summary>
internal static class GetAwsSetupHandler
{
    public static async Task<Results<Ok<AwsSetupResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, Microsoft.Extensions.Options.IOptions<PlatformAwsOptions> platform)
    {
        var (org, _, denied) = await OrgAccess.LoadAsync(session, orgId, http.User.Subject(), Permission.ManagePolicy, http.RequestAborted);
        if (denied is not null)
        {
            return denied;
        }

        return TypedResults.Ok(new AwsSetupResponse(
            org!.ExternalId,
            TrustPolicy(platform.Value.PlatformAccountId, org.ExternalId),
            PermissionsPolicy(),
            [
                "Create an IAM role in your account with the trust policy below (it trusts EnvForge only with your external ID).",
                "Attach the permissions policy below to that role.",
                "Set the role's maximum session duration to at least 1 hour (EnvForge asks for 1 h by default, at most 4 h).",
                "PUT the role ARN to /orgs/{orgId}/aws; EnvForge stores it encrypted.",
            ]));
    }

    public static JsonObject TrustPolicy(string platformAccountId, string externalId) => new()
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(new JsonObject
        {
            ["Sid"] = "EnvForgeAssumeRole",
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["AWS"] = $"arn:aws:iam::{platformAccountId}:root" },
            ["Action"] = "sts:AssumeRole",
            ["Condition"] = new JsonObject { ["StringEquals"] = new JsonObject { ["sts:ExternalId"] = externalId } },
        }),
    };

    /// <summary>Scoped by the <c>envforge:managed</c> tag wherever AWS supports it, so EnvForge touches only what it made.</summary>
    public static JsonObject PermissionsPolicy() => new()
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(
            Statement("Ec2Describe", ["ec2:Describe*"], "*"),
            Statement("Ec2CreateTagged", ["ec2:RunInstances", "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateSecurityGroup", "ec2:CreateTags"], "*",
                new JsonObject { ["StringEquals"] = new JsonObject { ["aws:RequestTag/envforge:managed"] = "true" } }),
            Statement("Ec2ManageTagged",
                ["ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
                 "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet", "ec2:DeleteVpc",
                 "ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway",
                 "ec2:CreateRouteTable", "ec2:CreateRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DeleteRouteTable"], "*",
                new JsonObject { ["StringEquals"] = new JsonObject { ["aws:ResourceTag/envforge:managed"] = "true" } }),
            Statement("EksTagged", ["eks:DescribeCluster", "eks:ListClusters", "eks:CreateCluster", "eks:DeleteCluster", "eks:TagResource"], "*",
                new JsonObject { ["StringEquals"] = new JsonObject { ["aws:ResourceTag/envforge:managed"] = "true" } }),
            Statement("SsmRunAndPing", ["ssm:DescribeInstanceInformation", "ssm:SendCommand", "ssm:GetCommandInvocation"], "*"),
            Statement("SsmReadDeclaredSecrets", ["ssm:GetParameters"], "arn:aws:ssm:*:*:parameter/envforge/*"),
            Statement("PassInstanceRole", ["iam:PassRole"], "arn:aws:iam::*:role/envforge-*",
                new JsonObject { ["StringEquals"] = new JsonObject { ["iam:PassedToService"] = "ec2.amazonaws.com" } })),
    };

    private static JsonObject Statement(string sid, string[] actions, string resource, JsonObject? condition = null)
    {
        var statement = new JsonObject
        {
            ["Sid"] = sid,
            ["Effect"] = "Allow",
            ["Action"] = new JsonArray(actions.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
            ["Resource"] = resource,
        };
        if (condition is not null)
        {
            statement["Condition"] = condition;
        }

        return statement;
    }
}
