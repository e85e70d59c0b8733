using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Workspaces;
using EnvForge.Workflows.Workspaces;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EnvForge.Api.Workspaces;

/// <param name="Kind">app, console, database, mail, storage, admin or shell; left out, well-known consoles, mail catchers,
/// stores, shells and databases (by name or port) are private and everything else is an app (<see cref="ServiceKinds"/>).
/// Only app services can be opened through a dev link.</param>
public sealed record ServiceRequest(string? Name, int? Port, string? Kind = null)
{
    /// <summary>Left out, or a kind's name in any case (not a number, not a list).</summary>
    public static bool IsKind(string? kind) => kind is null || Enum.GetNames<ServiceKind>().Contains(kind, StringComparer.OrdinalIgnoreCase);

    public ServiceSpec ToSpec() => new(Name!, Port!.Value)
    {
        Kind = Kind is null ? ServiceKinds.DefaultFor(Name!, Port!.Value) : Enum.Parse<ServiceKind>(Kind, ignoreCase: true),
    };
}

public sealed record SecretRequest(string? Name, string? SsmPath, string? Service);

public sealed record CreateWorkspaceRequest(string? Name, string? Repository, string? Branch, List<ServiceRequest>? Services, List<SecretRequest>? Secrets)
{
    public sealed class Validator : AbstractValidator<CreateWorkspaceRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Name).NotEmpty().MaximumLength(63).Matches("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
                .WithMessage("Name must be 1-63 lowercase letters, digits and dashes, starting and ending with a letter or digit.");
            RuleFor(r => r.Repository).NotEmpty().MaximumLength(300).Matches(@"^(https://[\w.-]+(:\d+)?/[\w./-]+|git@[\w.-]+:[\w./-]+)$")
                .WithMessage("Repository must be an https:// or git@ URL without credentials.");
            RuleFor(r => r.Branch).NotEmpty().MaximumLength(200).Matches(@"^[\w./-]+$").Must(b => b is null || !b.Contains("..", StringComparison.Ordinal))
                .WithMessage("Branch must be a valid git ref name.");
            RuleFor(r => r.Services).NotEmpty().Must(s => s is null || s.Count <= WorkspaceDecider.MaxServices)
                .WithMessage($"Declare 1 to {WorkspaceDecider.MaxServices} services.");
            RuleForEach(r => r.Services).ChildRules(s =>
            {
                s.RuleFor(x => x.Name).NotEmpty().MaximumLength(40).Matches("^[a-z][a-z0-9-]*$");
                s.RuleFor(x => x.Port).NotNull().InclusiveBetween(1, 65535);
                s.RuleFor(x => x.Kind).Must(ServiceRequest.IsKind)
                    .WithMessage($"Kind must be one of: {string.Join(", ", Enum.GetNames<ServiceKind>().Select(k => k.ToLowerInvariant()))}.");
            });
            RuleFor(r => r.Services).Must(s => s is null || s.Select(x => x.Name).Distinct().Count() == s.Count)
                .WithMessage("Service names must be unique.");
            RuleFor(r => r.Secrets).Must(s => s is null || s.Count <= WorkspaceDecider.MaxSecrets)
                .WithMessage($"Declare at most {WorkspaceDecider.MaxSecrets} secrets.");
            RuleForEach(r => r.Secrets).ChildRules(s =>
            {
                s.RuleFor(x => x.Name).NotEmpty().MaximumLength(100).Matches("^[A-Z_][A-Z0-9_]*$")
                    .WithMessage("Secret names are environment variable names: A-Z, 0-9 and _.");
                // A reference, never a value: an SSM parameter path.
                s.RuleFor(x => x.SsmPath).NotEmpty().MaximumLength(1011).Matches(@"^/[\w.\-/]+$")
                    .WithMessage("SsmPath must be an SSM SecureString parameter path such as /envforge/app/DB_PASSWORD (values never cross EnvForge).");
                s.RuleFor(x => x.Service).NotEmpty();
            });
        }
    }
}

/// <summary>
/// Declares a workspace and starts provisioning it (Developer+): authorize -> validate -> decide -> (Temporal?) -> append
/// -> start the provisioning workflow. Nothing is appended unless the workflow can be started.
/// </summary>
internal static class CreateWorkspaceHandler
{
    public static async Task<Results<Accepted<WorkspaceResponse>, ProblemHttpResult>> HandleAsync(
        Guid orgId, HttpContext http, IQuerySession session, StreamCommands commands, IWorkspaceWorkflows workflows, IRuntimeBudget budget,
        TimeProvider time)
    {
        var ct = http.RequestAborted;
        var subject = http.User.Subject();
        var (org, _, denied) = await OrgAccess.LoadAsync(session, orgId, subject, Permission.UseWorkspaces, ct);
        if (denied is not null)
        {
            return denied;
        }

        var (body, problem) = await RequestBody.ReadAsync<CreateWorkspaceRequest>(http);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var workspaceId = Guid.CreateVersion7(now);
        var command = new CreateWorkspace(
            workspaceId, orgId, body!.Name!, body.Repository!, body.Branch!,
            body.Services!.Select(s => s.ToSpec()).ToList(),
            (body.Secrets ?? []).Select(s => new SecretRef(s.Name!, s.SsmPath!, s.Service!)).ToList(),
            AwsConnected: org!.Aws is not null,
            NameTaken: await WorkspaceDirectory.NameTakenAsync(session, orgId, body.Name!, ct),
            CanAffordRuntime: await budget.CanAffordMinimumRuntimeAsync(orgId, ct),
            subject, now);
        var result = await commands.ExecuteAsync(http, WorkspaceDecider.Decider, workspaceId, _ => command,
            beforeAppend: (_, _) => StreamCommands.RequireWorkflows(workflows.UnavailableReason));
        if (result.Problem is { } refused)
        {
            return refused;
        }

        await workflows.StartProvisioningAsync(new ProvisionWorkspaceInput(workspaceId, orgId, subject), ct);
        return TypedResults.Accepted($"/orgs/{orgId}/workspaces/{workspaceId}", WorkspaceResponse.From(result.State));
    }
}
