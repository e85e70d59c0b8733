using EnvForge.Domain.Workspaces;
using EnvForge.Tests.Infrastructure;
using EnvForge.Workflows.Local;

namespace EnvForge.Tests.Local;

/// <summary>envforge.yml: a valid file, and each kind of error with its file, line, column and field.</summary>
public sealed class ManifestParserTests
{
    private static ManifestError Single(string yaml)
    {
        var result = ManifestParser.Parse(yaml);
        Assert.Null(result.Manifest);
        return Assert.Single(result.Errors);
    }

    private static void AssertAt(ManifestError error, int line, int column, string field)
    {
        Assert.Equal(EnvForgeManifest.FileName, error.File);
        Assert.Equal((line, column, field), (error.Line, error.Column, error.Field));
    }

    [Fact]
    public void The_sample_apps_manifest_is_valid_and_declares_two_services_with_their_own_secrets()
    {
        var text = File.ReadAllText(Path.Combine(ApiProcess.RepositoryRoot(), "ops", "sample-app", "envforge.yml"));

        var result = ManifestParser.Parse(text);

        Assert.Empty(result.Errors);
        var manifest = Assert.IsType<EnvForgeManifest>(result.Manifest);
        Assert.Equal([new ServiceSpec("web", 8080) { Kind = ServiceKind.App }, new ServiceSpec("admin", 8081) { Kind = ServiceKind.Admin }], manifest.ServiceSpecs());
        Assert.Equal(
            [new SecretRef("GREETING", "/envforge/sample/greeting", "web"), new SecretRef("ADMIN_TOKEN", "/envforge/sample/admin-token", "admin")],
            manifest.SecretRefs());
        var web = manifest.Service("web")!;
        Assert.Equal(new ManifestBuild(".", "Dockerfile"), web.Build);
        Assert.Null(web.Image);
        Assert.Null(web.Command);
        Assert.Equal("/healthz", web.Health);
        Assert.Equal(["python3", "/app/app.py", "--admin"], manifest.Service("admin")!.Command);
    }

    [Fact]
    public void Every_field_is_read_image_command_string_build_mapping_and_version()
    {
        var result = ManifestParser.Parse("""
            version: 1
            services:
              db:
                image: envforge/postgres:15
                command: postgres -c fsync=off
                port: 5432
                kind: database
              api:
                build: { context: backend, dockerfile: Dockerfile.dev }
                port: 3000
            """);

        var manifest = Assert.IsType<EnvForgeManifest>(result.Manifest);
        Assert.Equal(["/bin/sh", "-c", "postgres -c fsync=off"], manifest.Service("db")!.Command);
        Assert.Equal(ServiceKind.Database, manifest.Service("db")!.Kind);
        Assert.Equal(new ManifestBuild("backend", "Dockerfile.dev"), manifest.Service("api")!.Build);
        Assert.Null(manifest.Service("api")!.Health);
    }

    [Fact]
    public void An_unknown_key_is_refused_where_it_is()
    {
        AssertAt(Single("""
            services:
              web:
                image: envforge/debian:bookworm
                port: 8080
                replicas: 3
            """), 5, 5, "services.web.replicas");
        AssertAt(Single("""
            volumes: {}
            services:
              web: { image: envforge/debian:bookworm, port: 8080 }
            """), 1, 1, "volumes");
    }

    [Fact]
    public void A_duplicate_service_is_refused_at_its_second_declaration()
    {
        var error = Single("""
            services:
              web:
                image: envforge/debian:bookworm
                port: 8080
              web:
                image: envforge/debian:bookworm
                port: 8081
            """);

        AssertAt(error, 5, 3, "services.web");
        Assert.Contains("declared twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("70000")]
    public void A_port_out_of_range_is_refused(string port)
    {
        var error = Single($"""
            services:
              web:
                image: envforge/debian:bookworm
                port: {port}
            """);

        AssertAt(error, 4, 11, "services.web.port");
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_refused()
    {
        AssertAt(Single("""
            services:
              web: { image: envforge/debian:bookworm, port: http }
            """), 2, 49, "services.web.port");
    }

    [Fact]
    public void A_secret_written_inline_is_refused_without_quoting_it()
    {
        const string value = "postgres://app:hunter2-very-secret@db/app";
        var error = Single($"""
            services:
              web:
                image: envforge/debian:bookworm
                port: 8080
                secrets:
                  DATABASE_URL: {value}
            """);

        AssertAt(error, 6, 21, "services.web.secrets.DATABASE_URL");
        Assert.Contains("inline", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_given_as_a_value_field_is_refused_without_quoting_it()
    {
        var error = Single("""
            services:
              web:
                image: envforge/debian:bookworm
                port: 8080
                secrets:
                  API_KEY: { value: sk-live-1234567890 }
            """);

        AssertAt(error, 6, 25, "services.web.secrets.API_KEY.value");
        Assert.DoesNotContain("sk-live", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_reference_must_be_an_ssm_path()
    {
        AssertAt(Single("""
            services:
              web:
                image: envforge/debian:bookworm
                port: 8080
                secrets:
                  DATABASE_URL: { ssm: "envforge/../db" }
            """), 6, 28, "services.web.secrets.DATABASE_URL.ssm");
    }

    [Fact]
    public void A_service_needs_exactly_one_of_image_and_build()
    {
        AssertAt(Single("""
            services:
              web:
                port: 8080
            """), 3, 5, "services.web");
        AssertAt(Single("""
            services:
              web:
                image: envforge/debian:bookworm
                build: .
                port: 8080
            """), 3, 5, "services.web");
    }

    [Fact]
    public void A_missing_port_an_unknown_kind_and_an_escaping_build_context_are_each_refused()
    {
        var errors = ManifestParser.Parse("""
            services:
              web:
                build: ../outside
                kind: sidecar
            """).Errors;

        Assert.Equal(
            [("services.web.build", 3, 12), ("services.web.kind", 4, 11), ("services.web.port", 3, 5)],
            errors.Select(e => (e.Field, e.Line, e.Column)).ToList());
    }

    [Fact]
    public void Yaml_syntax_errors_aliases_and_empty_files_are_located()
    {
        var syntax = Single("services:\n  web: [unclosed\n");
        Assert.Equal("(yaml)", syntax.Field);
        Assert.True(syntax.Line >= 2, syntax.ToString());

        AssertAt(Single("""
            base: &base { image: envforge/debian:bookworm, port: 8080 }
            services:
              web: *base
            """), 3, 8, "services.web");
        Assert.Contains("alias", ManifestParser.Parse("services:\n  web: *nothing\n").Errors[0].Message, StringComparison.Ordinal);

        AssertAt(Single(""), 1, 1, "(file)");
    }

    [Fact]
    public void An_error_reads_file_line_column_field_message()
    {
        var error = new ManifestError("sub/envforge.yml", 4, 11, "services.web.port", "port 70000 is out of range (1-65535)");

        Assert.Equal("sub/envforge.yml:4:11: services.web.port: port 70000 is out of range (1-65535)", error.ToString());
    }
}
