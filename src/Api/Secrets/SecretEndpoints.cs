using EnvForge.Api.Infrastructure;

namespace EnvForge.Api.Secrets;

/// <summary>
/// The org's secrets in the Local provider's secret store (the stand-in for SSM Parameter Store on one machine): set a
/// value at an SSM-style path (write-only: it is never returned or logged), and list paths with their versions. On the
/// AWS provider secrets live in the customer's own Parameter Store and these routes answer 409.
/// </summary>
public sealed class SecretEndpoints : IApiCapability
{
    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("/orgs/{orgId:guid}/secrets").RequireAuthorization().WithTags("Secrets").WithCommonProblems();
        secrets.MapPut("/{**path}", SetSecretHandler.HandleAsync).Accepts<SetSecretRequest>("application/json").WithCommandProblems()
            .WithSummary("Set a secret's value at an SSM-style path, e.g. PUT .../secrets/envforge/acme/db (Owner/Admin; Local provider). Write-only.");
        secrets.MapGet("/", ListSecretsHandler.HandleAsync).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("The org's secrets by path and version, never their values (members who use workspaces; Local provider).");
    }
}
