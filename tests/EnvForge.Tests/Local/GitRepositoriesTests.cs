using EnvForge.Workflows.Local;

namespace EnvForge.Tests.Local;

/// <summary>Reading envforge.yml from a repository at a branch and commit (real git, local repositories).</summary>
public sealed class GitRepositoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("envforge-git-").FullName;
    private readonly GitRepositories _git;

    public GitRepositoriesTests() => _git = new GitRepositories(Path.Combine(_root, "mirrors"));

    private static string Commit(string repo, string file, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(repo, file))!);
        File.WriteAllText(Path.Combine(repo, file), text);
        LocalMachine.Git(repo, "add", "-A");
        LocalMachine.Git(repo, "-c", "user.name=t", "-c", "user.email=t@envforge.invalid", "commit", "--quiet", "-m", file);
        return LocalMachine.Git(repo, "rev-parse", "HEAD").Trim();
    }

    private string NewRepository()
    {
        var repo = Path.Combine(_root, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(repo);
        LocalMachine.Git(repo, "init", "--quiet", "--initial-branch=main");
        return repo;
    }

    [Fact]
    public async Task The_manifest_is_read_at_the_requested_commit_and_the_head_by_default()
    {
        var repo = NewRepository();
        var first = Commit(repo, "envforge.yml", "services:\n  web: { image: envforge/debian:bookworm, port: 8080 }\n");
        var second = Commit(repo, "envforge.yml", "services:\n  web: { image: envforge/debian:bookworm, port: 9090 }\n");
        var reader = new ManifestReader(_git);

        var head = await reader.ReadAsync(repo, "main", null, CancellationToken.None);
        var pinned = await reader.ReadAsync(repo, "main", first[..10], CancellationToken.None);

        Assert.Equal(second, head.Snapshot.Commit);
        Assert.Equal(9090, head.Result.Manifest!.Services[0].Port);
        Assert.Equal(first, pinned.Snapshot.Commit);
        Assert.Equal(8080, pinned.Result.Manifest!.Services[0].Port);
    }

    [Fact]
    public async Task A_directory_inside_a_repository_is_its_own_workspace_root()
    {
        var repo = NewRepository();
        Commit(repo, "apps/site/envforge.yml", "services:\n  web: { build: ., port: 8080 }\n");
        Commit(repo, "apps/site/Dockerfile", "FROM envforge/debian:bookworm\n");

        var read = await new ManifestReader(_git).ReadAsync(Path.Combine(repo, "apps", "site"), "main", null, CancellationToken.None);
        var target = Path.Combine(_root, "checkout");
        var files = await GitRepositories.ExportAsync(read.Snapshot, target, CancellationToken.None);

        Assert.Equal("apps/site/envforge.yml", read.Snapshot.ManifestPath);
        Assert.Equal(2, files);
        Assert.True(File.Exists(Path.Combine(target, "Dockerfile")));
    }

    [Fact]
    public async Task Missing_branches_commits_off_the_branch_and_missing_manifests_are_named()
    {
        var repo = NewRepository();
        var onMain = Commit(repo, "README.md", "x");
        LocalMachine.Git(repo, "checkout", "--quiet", "-b", "feature");
        var onFeature = Commit(repo, "other.txt", "y");
        var reader = new ManifestReader(_git);

        Assert.Equal("workspace.branch_not_found", (await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(repo, "release", null, CancellationToken.None))).Code);
        Assert.Equal("workspace.commit_not_on_branch", (await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(repo, "main", onFeature, CancellationToken.None))).Code);
        Assert.Equal("workspace.commit_not_found", (await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(repo, "main", "deadbeef00", CancellationToken.None))).Code);
        Assert.Equal("workspace.manifest_missing", (await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(repo, "main", onMain, CancellationToken.None))).Code);
        Assert.Equal("workspace.repository_not_found", (await Assert.ThrowsAsync<RepositoryException>(() => reader.ReadAsync(Path.Combine(_root, "nope"), "main", null, CancellationToken.None))).Code);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
