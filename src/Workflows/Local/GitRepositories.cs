using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace EnvForge.Workflows.Local;

/// <summary>A repository at one commit: where git finds it, and the directory inside it the workspace lives in.</summary>
/// <param name="GitDirectory">A work tree (a local path) or a bare mirror of a remote repository.</param>
/// <param name="Prefix">The workspace's directory inside the repository ("" for its root, else ending in '/').</param>
public sealed record RepositorySnapshot(string Repository, string GitDirectory, string Prefix, string Commit)
{
    public string ManifestPath => Prefix + EnvForgeManifest.FileName;
}

/// <summary>The repository could not be read (missing, no such branch or commit); the message names what and never a credential.</summary>
public sealed class RepositoryException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Reads workspace repositories with the git command line: a local path (a work tree, or a directory inside one) or an
/// https/ssh URL (fetched into a bare mirror under the data directory). Resolves the requested branch (and commit, which
/// must be on that branch) to a full commit id, reads files at it, and exports its tree.
/// </summary>
public sealed class GitRepositories(string mirrorRoot)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static bool IsLocalPath(string repository) => repository.StartsWith('/');

    public async Task<RepositorySnapshot> ResolveAsync(string repository, string branch, string? commit, CancellationToken ct)
    {
        var (gitDirectory, prefix) = IsLocalPath(repository) ? await OpenLocalAsync(repository, ct) : (await MirrorAsync(repository, branch, commit, ct), "");
        var head = await RevParseAsync(gitDirectory, IsLocalPath(repository) ? $"refs/heads/{branch}" : "FETCH_HEAD", ct)
            ?? throw new RepositoryException("workspace.branch_not_found", $"The repository has no branch '{branch}'.");
        if (commit is null)
        {
            return new RepositorySnapshot(repository, gitDirectory, prefix, head);
        }

        var resolved = await RevParseAsync(gitDirectory, commit, ct)
            ?? throw new RepositoryException("workspace.commit_not_found", $"The repository has no commit '{commit}'.");
        var onBranch = await RunAsync(gitDirectory, ["merge-base", "--is-ancestor", resolved, head], ct);
        return onBranch.ExitCode == 0
            ? new RepositorySnapshot(repository, gitDirectory, prefix, resolved)
            : throw new RepositoryException("workspace.commit_not_on_branch", $"Commit '{commit}' is not on branch '{branch}'.");
    }

    /// <summary>A file of the workspace's directory at the snapshot's commit, or null when the commit has no such file.</summary>
    public static async Task<string?> ReadFileAsync(RepositorySnapshot snapshot, string path, CancellationToken ct)
    {
        var result = await RunAsync(snapshot.GitDirectory, ["show", $"{snapshot.Commit}:{snapshot.Prefix}{path}"], ct);
        return result.ExitCode == 0 ? Encoding.UTF8.GetString(result.Output) : null;
    }

    /// <summary>Writes the workspace's directory at the snapshot's commit into <paramref name="target"/> (emptied first).</summary>
    public static async Task<int> ExportAsync(RepositorySnapshot snapshot, string target, CancellationToken ct)
    {
        var tree = snapshot.Prefix.Length == 0 ? snapshot.Commit : $"{snapshot.Commit}:{snapshot.Prefix.TrimEnd('/')}";
        var archive = await RunAsync(snapshot.GitDirectory, ["archive", "--format=tar", tree], ct);
        if (archive.ExitCode != 0)
        {
            throw new RepositoryException("workspace.checkout_failed", $"git archive of {snapshot.Commit[..12]} failed: {archive.FirstErrorLine}");
        }

        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        Directory.CreateDirectory(target);
        using var tar = new MemoryStream(archive.Output);
        await TarFile.ExtractToDirectoryAsync(tar, target, overwriteFiles: true, ct);
        return Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Count();
    }

    private static async Task<(string GitDirectory, string Prefix)> OpenLocalAsync(string path, CancellationToken ct)
    {
        if (!Directory.Exists(path))
        {
            throw new RepositoryException("workspace.repository_not_found", $"No directory {path} on this machine.");
        }

        var top = await RunAsync(path, ["rev-parse", "--show-toplevel"], ct);
        var prefix = await RunAsync(path, ["rev-parse", "--show-prefix"], ct);
        if (top.ExitCode != 0 || prefix.ExitCode != 0)
        {
            throw new RepositoryException("workspace.repository_not_found", $"{path} is not inside a git repository.");
        }

        return (Encoding.UTF8.GetString(top.Output).Trim(), Encoding.UTF8.GetString(prefix.Output).Trim());
    }

    /// <summary>Fetches the branch (or the commit) of a remote repository into its bare mirror; FETCH_HEAD is the branch's head.</summary>
    private async Task<string> MirrorAsync(string url, string branch, string? commit, CancellationToken ct)
    {
        var mirror = Path.Combine(mirrorRoot, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url)))[..24] + ".git");
        if (!Directory.Exists(mirror))
        {
            Directory.CreateDirectory(mirror);
            await RunAsync(mirror, ["init", "--bare", "--quiet"], ct);
        }

        var depth = commit is null ? ["--depth", "1"] : Array.Empty<string>();
        var fetch = await RunAsync(mirror, ["fetch", "--quiet", .. depth, "--", url, $"refs/heads/{branch}"], ct);
        if (fetch.ExitCode != 0)
        {
            throw new RepositoryException("workspace.repository_unreachable", $"Could not fetch branch '{branch}' of the repository: {fetch.FirstErrorLine}");
        }

        return mirror;
    }

    private static async Task<string?> RevParseAsync(string gitDirectory, string revision, CancellationToken ct)
    {
        var result = await RunAsync(gitDirectory, ["rev-parse", "--verify", "--quiet", "--end-of-options", $"{revision}^{{commit}}"], ct);
        return result.ExitCode == 0 ? Encoding.UTF8.GetString(result.Output).Trim() : null;
    }

    private sealed record GitResult(int ExitCode, byte[] Output, string Error)
    {
        public string FirstErrorLine => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() is { } line
            ? line.Length > 200 ? line[..200] : line
            : "(no message)";
    }

    private static async Task<GitResult> RunAsync(string directory, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Repositories owned by someone else are read as they are; no prompt ever waits for a password; no local-file
        // transport for URLs (a URL is fetched over the network, never used to read this machine's files).
        foreach (var argument in (string[])["-c", "safe.directory=*", "-c", "protocol.file.allow=never", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "true";
        start.Environment["LC_ALL"] = "C";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var process = Process.Start(start) ?? throw new RepositoryException("workspace.git_unavailable", "git could not be started.");
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await Task.WhenAll(copy, error);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new RepositoryException("workspace.repository_timeout", $"git {arguments[0]} took longer than {Timeout.TotalSeconds:0} s.");
        }

        return new GitResult(process.ExitCode, output.ToArray(), await error);
    }
}
