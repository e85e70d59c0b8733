using EnvForge.Api.DevLinks;
using EnvForge.Api.Elevation;
using EnvForge.Api.Infrastructure;
using EnvForge.Api.Infrastructure.Auth;

// `EnvForge.Api token SUBJECT` mints an access token for the embedded default (see README).
if (args is ["token", .. var tokenArgs])
{
    return LocalTokenCommand.Run(tokenArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddEnvForge();

var app = builder.Build();
app.UseEnvForge();
app.MapOrganizationEndpoints();
app.MapWorkspaceEndpoints();
app.MapAuditEndpoints();
app.MapElevationEndpoints();
app.MapDevLinkEndpoints();
await app.RunAsync();
return 0;
