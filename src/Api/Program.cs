using EnvForge.Api.Audit;
using EnvForge.Api.DevLinks;
using EnvForge.Api.Elevation;
using EnvForge.Api.Infrastructure;
using EnvForge.Api.Infrastructure.Auth;
using EnvForge.Api.Organizations;
using EnvForge.Api.Secrets;
using EnvForge.Api.Sessions;
using EnvForge.Api.Wallet;
using EnvForge.Api.Workspaces;

// `EnvForge.Api token SUBJECT` mints an operator token, `EnvForge.Api keys ...` manages signing keys (see README).
if (args is ["token", .. var tokenArgs])
{
    return LocalTokenCommand.Run(tokenArgs, Console.Out, Console.Error);
}

if (args is ["keys", .. var keyArgs])
{
    return KeyCommands.Run(keyArgs, Console.Out, Console.Error);
}

// `EnvForge.Api audit verify FILE [--public-key ...]` checks an export offline; `audit rebuild`, `audit keys` (see README, "Audit").
if (args is ["audit", .. var auditArgs])
{
    return await AuditCommand.RunAsync(auditArgs, Console.Out, Console.Error);
}

// Every capability of the API, once: its services and its route group.
IApiCapability[] capabilities =
[
    new OrganizationEndpoints(),
    new WorkspaceEndpoints(),
    new ElevationEndpoints(),
    new DevLinkEndpoints(),
    new AuditEndpoints(),
    new EmbeddedProvider(),
    new SessionEndpoints(),
    new WalletEndpoints(),
    new SecretEndpoints(),
];

var builder = WebApplication.CreateBuilder(args);
builder.AddEnvForge(capabilities);

var app = builder.Build();
app.UseEnvForge(capabilities);
await app.RunAsync();
return 0;
