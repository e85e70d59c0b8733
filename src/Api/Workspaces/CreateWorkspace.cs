using EnvForge.Api.Infrastructure;
using EnvForge.Domain.Organizations;
using EnvForge.Domain.Workspaces;
using EnvForge.Projections.Workspaces;
using EnvForge.Workflows.Local;
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

/// <param name="Services">Omitted: read from the repository's envforge.yml at the branch (and commit), which is recorded.</param>
/// <param name="Commit">The commit to read envforge.yml at (it must be on the branch); omitted: the branch's head.</param>
public sealed record CreateWorkspaceRequest(
    string? Name, string? Repository, string? Branch, List<ServiceRequest>? Services, List<SecretRequest>? Secrets, string? Commit = null)
{
    public sealed class Validator : AbstractValidator<CreateWorkspaceRequest>
    {
        public Validator()
        {
            RuleFor(r => r.Name).NotEmpty().MaximumLength(63).Matches("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
                .WithMessage("Name must be 1-63 lowercase letters, digits and dashes, starting and ending with a letter or digit.");
            // A local path (an absolute directory inside a git work tree) serves the Local provider; the handler refuses it otherwise.
            RuleFor(r => r.Repository).NotEmpty().MaximumLength(300).Matches(@"^(https://[\w.-]+(:\d+)?/[\w./-]+|git@[\w.-]+:[\w./-]+|/[\w./-]+)$")
                .Must(r => r is null || !r.Split('/').Contains(".."))
                .WithMessage("Repository must be an https:// or git@ URL without credentials (or, on the Local provider, an absolute path).");
            RuleFor(r => r.Commit).Matches("^[0-9a-f]{7,40}$").WithMessage("Commit must be a commit id (7 to 40 hex digits).");
            RuleFor(r => r.Branch).NotEmpty().MaximumLength(200).Matches(@"^[\w./-]+$").Must(b => b is null || !b.Contains("..", StringComparison.Ordinal))
                .WithMessage("Branch must be a valid git ref name.");
            RuleFor(r => r.Services).Must(s => s is null || s.Count is >= 1 and <= WorkspaceDecider.MaxServices)
                .WithMessage($"Declare 1 to {WorkspaceDecider.MaxServices} services, or none to read them from the repository's envforge.yml.");
            RuleFor(r => r.Secrets).Must(s => s is null || s.Count == 0).When(r => r.Services is null)
                .WithMessage("Secrets are declared with their services: in the request, or all in envforge.yml.");
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
        InfrastructureSelection provider, ManifestReader manifests, TimeProvider time)
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

        var (declaration, unreadable) = await WorkspaceDeclaration.ReadAsync(body!, provider, manifests, ct);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var now = time.GetUtcNow();
        var workspaceId = Guid.CreateVersion7(now);
        var command = new CreateWorkspace(
            workspaceId, orgId, body!.Name!, body.Repository!, body.Branch!, declaration!.Services, declaration.Secrets,
            AwsConnected: org!.Aws is not null,
            NameTaken: await WorkspaceDirectory.NameTakenAsync(session, orgId, body.Name!, ct),
            CanAffordRuntime: await budget.CanAffordMinimumRuntimeAsync(orgId, ct),
            subject, now)
        {
            Commit = declaration.Commit,
            Provider = provider.Provider,
        };
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

/// <summary>What a new workspace runs: declared in the request, or read from the repository's envforge.yml at a commit.</summary>
internal sealed record WorkspaceDeclaration(IReadOnlyList<ServiceSpec> Services, IReadOnlyList<SecretRef> Secrets, string? Commit)
{
    public static async Task<(WorkspaceDeclaration? Declaration, ProblemHttpResult? Problem)> ReadAsync(
        CreateWorkspaceRequest body, InfrastructureSelection provider, ManifestReader manifests, CancellationToken ct)
    {
        if (GitRepositories.IsLocalPath(body.Repository!) && !provider.IsLocal)
        {
            return (null, Problems.Problem(StatusCodes.Status422UnprocessableEntity, "workspace.local_repository", "Rule violated",
                "A repository on this machine's disk serves the Local provider only; this deployment provisions on AWS. Give a git URL."));
        }

        if (body.Services is not null)
        {
            return (new WorkspaceDeclaration(
                body.Services.Select(s => s.ToSpec()).ToList(),
                (body.Secrets ?? []).Select(s => new SecretRef(s.Name!, s.SsmPath!, s.Service!)).ToList(),
                body.Commit), null);
        }

        ManifestRead read;
        try
        {
            read = await manifests.ReadAsync(body.Repository!, body.Branch!, body.Commit, ct);
        }
        catch (RepositoryException ex)
        {
            return (null, Problems.Problem(StatusCodes.Status422UnprocessableEntity, ex.Code, "The repository could not be read", ex.Message));
        }

        if (read.Result.Manifest is not { } manifest)
        {
            var errors = read.Result.Errors;
            return (null, Problems.Problem(StatusCodes.Status422UnprocessableEntity, "workspace.manifest_invalid", $"{read.Snapshot.ManifestPath} is not valid",
                $"{errors.Count} error(s) at commit {read.Snapshot.Commit[..12]}, the first: {errors[0]}",
                new Dictionary<string, object?> { ["errors"] = errors, ["commit"] = read.Snapshot.Commit }));
        }

        return (new WorkspaceDeclaration(manifest.ServiceSpecs(), manifest.SecretRefs(), read.Snapshot.Commit), null);
    }
}
