using EnvForge.Domain.Workspaces;

namespace EnvForge.Workflows.Local;

/// <summary>
/// A repository's <c>envforge.yml</c>: the services a workspace runs and the secrets each one reads, by reference only.
/// <code>
/// services:
///   web:
///     build: .                         # or image: envforge/debian:bookworm (exactly one of the two)
///     command: [python3, app.py]       # or a string, run by /bin/sh -c
///     port: 8080
///     health: /healthz                 # answered 2xx/3xx once the service is up
///     kind: app                        # app | console | database | mail | storage | admin | shell; left out, as the API decides (ServiceKinds)
///     secrets:
///       DATABASE_URL: { ssm: /envforge/acme/db }
/// </code>
/// </summary>
public sealed record EnvForgeManifest(IReadOnlyList<ManifestService> Services)
{
    public const string FileName = "envforge.yml";

    public ManifestService? Service(string name) => Services.FirstOrDefault(s => s.Name == name);

    /// <summary>What the Workspace stream records: names, ports and kinds.</summary>
    public IReadOnlyList<ServiceSpec> ServiceSpecs() => Services.Select(s => new ServiceSpec(s.Name, s.Port) { Kind = s.Kind }).ToList();

    /// <summary>What the Workspace stream records of secrets: env var name, SSM path, service.</summary>
    public IReadOnlyList<SecretRef> SecretRefs() => Services.SelectMany(s => s.Secrets.Select(x => new SecretRef(x.Name, x.SsmPath, s.Name))).ToList();
}

/// <param name="Command">Exec form; a string in the file becomes <c>/bin/sh -c STRING</c>. Null: the image's own command.</param>
/// <param name="Health">A path answered 2xx/3xx once the service is up; null: the port accepting connections is enough.</param>
public sealed record ManifestService(
    string Name, string? Image, ManifestBuild? Build, IReadOnlyList<string>? Command, int Port, string? Health, ServiceKind Kind,
    IReadOnlyList<ManifestSecret> Secrets);

/// <summary>A Dockerfile build: the context directory and the Dockerfile in it, both relative to the manifest's directory.</summary>
public sealed record ManifestBuild(string Context, string Dockerfile);

public sealed record ManifestSecret(string Name, string SsmPath);

/// <summary>One problem in the file, where it is: file, line and column (1-based), and the field by its dotted path.</summary>
public sealed record ManifestError(string File, int Line, int Column, string Field, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Field}: {Message}";
}

/// <summary>The outcome of reading a manifest: the manifest, or every error found (never both).</summary>
public sealed record ManifestResult(EnvForgeManifest? Manifest, IReadOnlyList<ManifestError> Errors)
{
    public bool IsValid => Manifest is not null;
}
