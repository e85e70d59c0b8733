namespace EnvForge.Cli.Infrastructure;

/// <summary>The exit codes of every command (README, "The CLI"). Scripts branch on these, never on the text.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Anything else: a server error (5xx other than 503), an unexpected answer.</summary>
    public const int Error = 1;

    /// <summary>The command line itself is wrong (unknown command, missing argument, no org chosen).</summary>
    public const int Usage = 2;

    /// <summary>Not signed in, the session was revoked, or sign-in failed (denied, expired code): run <c>envforge login</c>.</summary>
    public const int Unauthenticated = 3;

    /// <summary>Signed in, but your role in the org does not allow it (403).</summary>
    public const int Forbidden = 4;

    /// <summary>The thing does not exist or is not visible to you (404 with a code).</summary>
    public const int NotFound = 5;

    /// <summary>The server refused the request as it stands: invalid input, a business rule, a conflict, a stale version, no balance (400, 402, 409, 412, 422).</summary>
    public const int Refused = 6;

    /// <summary>The server cannot do it right now: its workflow engine (Temporal) or another dependency is unavailable (503).</summary>
    public const int Unavailable = 7;

    /// <summary>This server does not have the capability (the route does not exist there).</summary>
    public const int NotOnThisServer = 8;

    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 9;

    /// <summary>An audit export did not verify: an entry, a link of its chain, a seal or a signature is not what it says.</summary>
    public const int NotVerified = 10;
}

/// <summary>A failure the CLI reports as one message and an exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
