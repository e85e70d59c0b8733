using System.Globalization;
using EnvForge.Workflows.Terraform;

namespace EnvForge.Tests.Infrastructure;

/// <summary>What the stand-in terraform does on apply/destroy.</summary>
/// <param name="FailMidApply">Print an error diagnostic after apply_start and exit 1.</param>
/// <param name="ExpiredTokenRuns">The first N apply/destroy runs fail with STS's ExpiredToken diagnostic.</param>
/// <param name="SecondsBeforeExpiredToken">How long such a run works before failing (to outlive short credentials).</param>
/// <param name="Hang">After apply_start, start a child `sleep 300` and wait for it (for cancellation).</param>
public sealed record FakeTerraformScenario(
    bool FailMidApply = false,
    int ExpiredTokenRuns = 0,
    double SecondsBeforeExpiredToken = 0,
    bool Hang = false,
    string InstanceId = FakeTerraform.DefaultInstanceId);

/// <summary>One invocation as the stand-in recorded it: argv, the AWS_* environment it saw, where it ran, a copy of that directory.</summary>
public sealed record FakeTerraformCall(
    int Number, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory, string Snapshot)
{
    public string Command => Arguments.Count > 0 ? Arguments[0] : string.Empty;
}

/// <summary>
/// Stand-in for the terraform executable (tests only): a bash script generated into a temp directory that prints
/// terraform's machine-readable UI (<c>-json</c>) for one aws_instance, as terraform 1.x does, with an
/// <c>instance_ids</c> output and one sensitive output whose value it prints, so a test proves the runner never passes
/// it on. It can fail mid-apply, fail with ExpiredToken for its first runs, or hang. Each invocation records its argv,
/// its environment and a copy of its working directory under <see cref="Root"/>/calls, for assertions.
/// </summary>
public sealed class FakeTerraform : IDisposable
{
    public const string DefaultInstanceId = "i-0a1b2c3d4e5f60718";
    public const string SensitiveValue = "s3cr3t-root-password-value";

    private const string Script = """
        #!/usr/bin/env bash
        # Stand-in for terraform (EnvForge tests only). Behaviour comes from ./scenario next to this script.
        set -u
        here="$(cd "$(dirname "$0")" && pwd)"
        source "$here/scenario"

        mkdir -p "$here/calls"
        n=$(( $(find "$here/calls" -maxdepth 1 -name '*.argv' | wc -l) + 1 ))
        rec="$here/calls/$(printf '%03d' "$n")"
        printf '%s\n' "$@" > "$rec.argv"
        env > "$rec.env"
        pwd > "$rec.cwd"
        cp -R . "$rec.snapshot"

        ts() { date -u +%Y-%m-%dT%H:%M:%S.000000Z; }
        addr='{"addr":"aws_instance.workspace","module":"","resource":"aws_instance.workspace","implied_provider":"aws","resource_type":"aws_instance","resource_name":"workspace","resource_key":null}'

        case "${1:-}" in
          init)
            echo "Initializing the backend..."
            echo "Initializing provider plugins..."
            echo "Terraform has been successfully initialized!"
            exit 0 ;;
          apply) verb=create; op=apply ;;
          destroy) verb=delete; op=destroy ;;
          *) echo "fake terraform: unsupported command ${1:-}" >&2; exit 2 ;;
        esac

        runs=$(grep -lxE 'apply|destroy' "$here"/calls/*.argv | wc -l)

        echo '{"@level":"info","@message":"Terraform 1.9.8","@module":"terraform.ui","@timestamp":"'"$(ts)"'","terraform":"1.9.8","type":"version","ui":"1.2"}'
        echo 'provider chatter that is not JSON'
        echo '{"@level":"info","@message":"aws_instance.workspace: Plan to '"$verb"'","@module":"terraform.ui","@timestamp":"'"$(ts)"'","change":{"resource":'"$addr"',"action":"'"$verb"'"},"type":"planned_change"}'
        if [ "$op" = apply ]; then
          echo '{"@level":"info","@message":"Plan: 1 to add, 0 to change, 0 to destroy.","@module":"terraform.ui","@timestamp":"'"$(ts)"'","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"plan"},"type":"change_summary"}'
          echo '{"@level":"info","@message":"aws_instance.workspace: Creating...","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"create"},"type":"apply_start"}'
        else
          echo '{"@level":"info","@message":"Plan: 0 to add, 0 to change, 1 to destroy.","@module":"terraform.ui","@timestamp":"'"$(ts)"'","changes":{"add":0,"change":0,"import":0,"remove":1,"operation":"plan"},"type":"change_summary"}'
          echo '{"@level":"info","@message":"aws_instance.workspace: Destroying... [id='"$INSTANCE_ID"']","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"delete","id_key":"id","id_value":"'"$INSTANCE_ID"'"},"type":"apply_start"}'
        fi

        if [ "$HANG" = 1 ]; then
          echo $$ > "$here/terraform.pid"
          sleep 300 &
          echo $! > "$here/sleep.pid"
          wait $!
          exit 0
        fi

        if [ "$runs" -le "$EXPIRED_TOKEN_RUNS" ]; then
          sleep "$SECONDS_BEFORE_EXPIRED_TOKEN"
          echo '{"@level":"error","@message":"aws_instance.workspace: Creation errored after 2s","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"create","elapsed_seconds":2},"type":"apply_errored"}'
          echo '{"@level":"error","@message":"Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 4b7c3e1d-2f0a-4c55-9d61-0e2c7a1f9b33, api error ExpiredToken: The security token included in the request is expired","@module":"terraform.ui","@timestamp":"'"$(ts)"'","diagnostic":{"severity":"error","summary":"creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 4b7c3e1d-2f0a-4c55-9d61-0e2c7a1f9b33, api error ExpiredToken: The security token included in the request is expired","detail":"","address":"aws_instance.workspace"},"type":"diagnostic"}'
          exit 1
        fi

        echo '{"@level":"info","@message":"aws_instance.workspace: Still creating... [10s elapsed]","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"'"$verb"'","elapsed_seconds":10},"type":"apply_progress"}'

        if [ "$FAIL_MID_APPLY" = 1 ]; then
          # Shaped like AWS's SignatureDoesNotMatch / UnauthorizedOperation errors, which quote the key id and an encoded blob.
          blob=$(printf 'encoded-authorization-failure-%.0s' 1 2 3 4 | base64 -w0)
          echo '{"@level":"error","@message":"aws_instance.workspace: Creation errored after 10s","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"create","elapsed_seconds":10},"type":"apply_errored"}'
          echo '{"@level":"error","@message":"Error: creating EC2 Instance: api error UnauthorizedOperation","@module":"terraform.ui","@timestamp":"'"$(ts)"'","diagnostic":{"severity":"error","summary":"creating EC2 Instance: operation error EC2: RunInstances, api error UnauthorizedOperation: You are not authorized to perform this operation. Credential='"$AWS_ACCESS_KEY_ID"'/20261122/us-east-1/ec2/aws4_request Encoded authorization failure message: '"$blob"'","detail":"secret '"$AWS_SECRET_ACCESS_KEY"' token '"$AWS_SESSION_TOKEN"'","address":"aws_instance.workspace"},"type":"diagnostic"}'
          exit 1
        fi

        if [ "$op" = apply ]; then
          echo '{"@level":"info","@message":"aws_instance.workspace: Creation complete after 32s [id='"$INSTANCE_ID"']","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"create","id_key":"id","id_value":"'"$INSTANCE_ID"'","elapsed_seconds":32},"type":"apply_complete"}'
          echo '{"@level":"info","@message":"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.","@module":"terraform.ui","@timestamp":"'"$(ts)"'","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"apply"},"type":"change_summary"}'
          echo '{"@level":"info","@message":"Outputs: 3","@module":"terraform.ui","@timestamp":"'"$(ts)"'","outputs":{"instance_ids":{"sensitive":false,"type":["list","string"],"value":["'"$INSTANCE_ID"'"]},"private_ip":{"sensitive":false,"type":"string","value":"10.0.1.23"},"root_password":{"sensitive":true,"type":"string","value":"'"$SENSITIVE_VALUE"'"}},"type":"outputs"}'
        else
          echo '{"@level":"info","@message":"aws_instance.workspace: Destruction complete after 1s","@module":"terraform.ui","@timestamp":"'"$(ts)"'","hook":{"resource":'"$addr"',"action":"delete","elapsed_seconds":1},"type":"apply_complete"}'
          echo '{"@level":"info","@message":"Destroy complete! Resources: 1 destroyed.","@module":"terraform.ui","@timestamp":"'"$(ts)"'","changes":{"add":0,"change":0,"import":0,"remove":1,"operation":"destroy"},"type":"change_summary"}'
          echo '{"@level":"info","@message":"Outputs: 0","@module":"terraform.ui","@timestamp":"'"$(ts)"'","outputs":{},"type":"outputs"}'
        fi
        exit 0
        """;

    private FakeTerraform(string root) => Root = root;

    /// <summary>The stand-in's directory: the script, its scenario, its recorded calls, and the runner's work root.</summary>
    public string Root { get; }

    public string Executable => Path.Combine(Root, "terraform");

    public string WorkRoot => Path.Combine(Root, "work");

    public static FakeTerraform Create(FakeTerraformScenario? scenario = null)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the stand-in terraform is a bash script");
        scenario ??= new FakeTerraformScenario();
        var fake = new FakeTerraform(Path.Combine(Path.GetTempPath(), $"envforge-fake-terraform-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(fake.Root);
        File.WriteAllText(fake.Executable, Script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake.Executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        File.WriteAllText(Path.Combine(fake.Root, "scenario"), string.Join('\n',
            $"FAIL_MID_APPLY={(scenario.FailMidApply ? 1 : 0)}",
            $"EXPIRED_TOKEN_RUNS={scenario.ExpiredTokenRuns}",
            $"SECONDS_BEFORE_EXPIRED_TOKEN={scenario.SecondsBeforeExpiredToken.ToString(CultureInfo.InvariantCulture)}",
            $"HANG={(scenario.Hang ? 1 : 0)}",
            $"INSTANCE_ID='{scenario.InstanceId}'",
            $"SENSITIVE_VALUE='{SensitiveValue}'") + "\n");
        return fake;
    }

    public TerraformOptions Options(string? moduleDirectory = null) => new()
    {
        Executable = Executable,
        ModuleDirectory = moduleDirectory,
        WorkRoot = WorkRoot,
    };

    public IReadOnlyList<FakeTerraformCall> Calls()
    {
        var calls = Path.Combine(Root, "calls");
        if (!Directory.Exists(calls))
        {
            return [];
        }

        return [.. Directory.GetFiles(calls, "*.argv").Order(StringComparer.Ordinal).Select(argv =>
        {
            var stem = argv[..^".argv".Length];
            var environment = File.ReadAllLines(stem + ".env")
                .Select(line => line.Split('=', 2))
                .Where(pair => pair.Length == 2)
                .GroupBy(pair => pair[0], StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
            return new FakeTerraformCall(
                int.Parse(Path.GetFileName(stem), CultureInfo.InvariantCulture),
                File.ReadAllLines(argv),
                environment,
                File.ReadAllText(stem + ".cwd").Trim(),
                stem + ".snapshot");
        })];
    }

    /// <summary>Process ids the hanging stand-in wrote (terraform itself and its child), once it has written them.</summary>
    public (int Terraform, int Child)? HangingProcessIds()
    {
        var terraform = Path.Combine(Root, "terraform.pid");
        var child = Path.Combine(Root, "sleep.pid");
        return File.Exists(terraform) && File.Exists(child)
            && int.TryParse(File.ReadAllText(terraform).Trim(), CultureInfo.InvariantCulture, out var t)
            && int.TryParse(File.ReadAllText(child).Trim(), CultureInfo.InvariantCulture, out var c)
            ? (t, c)
            : null;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment; the temp directory is cleaned by the OS eventually.
        }
    }
}
