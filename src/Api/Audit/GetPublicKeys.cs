using EnvForge.Domain.Audit;
using EnvForge.Projections.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Audit;

public sealed record PublicKeysResponse(IReadOnlyList<AuditPublicKey> Keys);

/// <summary>The audit signing key ring's public keys (anyone may fetch them: they only verify).</summary>
internal static class GetPublicKeysHandler
{
    public static Ok<PublicKeysResponse> Handle(AuditSigningKeys keys) => TypedResults.Ok(new PublicKeysResponse(keys.PublicKeys));
}
