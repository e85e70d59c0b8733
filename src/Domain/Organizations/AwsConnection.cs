using System.Text.RegularExpressions;
using EnvForge.Domain.Common;

namespace EnvForge.Domain.Organizations;

/// <summary>The org's AWS connection: the role EnvForge assumes, sealed; only a hint of the account is kept in clear.</summary>
public sealed record AwsConnection(EncryptedValue RoleArn, string AccountHint, DateTimeOffset ConnectedAt);

/// <summary>An IAM role ARN, checked for shape before it is sealed. Its text is sensitive: never log or echo it.</summary>
public static partial class RoleArns
{
    [GeneratedRegex(@"^arn:aws(-cn|-us-gov)?:iam::(?<account>\d{12}):role/[\w+=,.@/-]{1,512}$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Shape();

    public static bool IsValid(string? arn) => arn is not null && arn.Length <= 2048 && Shape().IsMatch(arn);

    /// <summary>The last four digits of the account, enough for support to tell accounts apart.</summary>
    public static string AccountHint(string arn) => "****" + Shape().Match(arn).Groups["account"].Value[^4..];
}
