using System.Security.Cryptography;

namespace EnvForge.Domain.Organizations;

/// <summary>
/// The sts:ExternalId an org's AWS trust policy requires. 160 random bits make a collision practically
/// impossible; the store's unique index on it makes a repeat impossible.
/// </summary>
public static class ExternalIds
{
    public const string Prefix = "envforge-";

    public static string New() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
}
