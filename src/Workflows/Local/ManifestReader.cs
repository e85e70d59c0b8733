namespace EnvForge.Workflows.Local;

/// <summary>A workspace's declaration as its repository holds it: the commit it was read at and the parsed envforge.yml.</summary>
public sealed record ManifestRead(RepositorySnapshot Snapshot, ManifestResult Result);

/// <summary>Reads <c>envforge.yml</c> from a repository at a branch (and commit, which must be on it).</summary>
public sealed class ManifestReader(GitRepositories git)
{
    /// <exception cref="RepositoryException">No such repository, branch or commit, or no envforge.yml at that commit.</exception>
    public async Task<ManifestRead> ReadAsync(string repository, string branch, string? commit, CancellationToken ct)
    {
        var snapshot = await git.ResolveAsync(repository, branch, commit, ct);
        var text = await GitRepositories.ReadFileAsync(snapshot, EnvForgeManifest.FileName, ct)
            ?? throw new RepositoryException(
                "workspace.manifest_missing", $"There is no {snapshot.ManifestPath} at commit {snapshot.Commit[..12]}; add one, or declare the services in the request.");
        return new ManifestRead(snapshot, ManifestParser.Parse(text, snapshot.ManifestPath));
    }
}
