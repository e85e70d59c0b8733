using System.CommandLine;
using EnvForge.Cli.Commands;
using EnvForge.Cli.Infrastructure;

// envforge: the EnvForge command line. Every command, its options and its exit codes are listed in the README ("The CLI").
var root = new RootCommand("envforge: sign in to EnvForge and work with orgs, workspaces, dev links, root elevation, the wallet, the audit trail and sessions")
{
    Options.Json, Options.Server, Options.Org,
};
foreach (var command in AuthCommands.All())
{
    root.Add(command);
}

root.Add(OrgCommands.Orgs());
root.Add(OrgCommands.Members());
root.Add(WorkspaceCommands.Workspaces());
root.Add(LinkCommands.Links());
root.Add(RootCommands.Root());
root.Add(WalletCommands.Wallet());
root.Add(AuditCommands.Audit());
root.Add(SessionCommands.Sessions());
root.Add(SessionCommands.Users());

var parsed = root.Parse(args);
return parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction
    ? await parsed.InvokeAsync() is var code && code == 1 ? ExitCodes.Usage : code
    : await parsed.InvokeAsync();
