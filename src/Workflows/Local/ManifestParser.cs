using System.Globalization;
using System.Text.RegularExpressions;
using EnvForge.Domain.Workspaces;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace EnvForge.Workflows.Local;

/// <summary>
/// Reads <c>envforge.yml</c> strictly: unknown keys, duplicate keys (so duplicate services), ports out of range, a service
/// with both or neither of image and build, and a secret written as a value instead of a reference are refused. Every
/// error names the file, line, column and field. A secret's value is never quoted back, not even in an error.
/// </summary>
public static partial class ManifestParser
{
    private const int MaxServices = WorkspaceDecider.MaxServices;

    public static ManifestResult Parse(string text, string file = EnvForgeManifest.FileName)
    {
        var errors = new List<ManifestError>();
        YamlNode? root;
        try
        {
            root = YamlTree.Read(text, file, errors);
        }
        catch (YamlException ex)
        {
            // YamlDotNet's messages describe the syntax, never a scalar's value.
            errors.Add(new ManifestError(file, (int)ex.Start.Line, (int)ex.Start.Column, "(yaml)", $"not valid YAML: {ex.Message}"));
            return new ManifestResult(null, errors);
        }

        if (errors.Count > 0)
        {
            return new ManifestResult(null, errors);
        }

        var reader = new Reader(file, errors);
        var services = reader.Document(root);
        return errors.Count == 0 && services is not null ? new ManifestResult(new EnvForgeManifest(services), []) : new ManifestResult(null, errors);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]{0,99}$")]
    private static partial Regex EnvName();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$")]
    private static partial Regex ImageName();

    [GeneratedRegex(@"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")]
    private static partial Regex HealthPath();

    private sealed class Reader(string file, List<ManifestError> errors)
    {
        public List<ManifestService>? Document(YamlNode? root)
        {
            if (root is not YamlMap map)
            {
                Error(root?.Start, "(root)", "the file must be a mapping with a 'services' key");
                return null;
            }

            YamlNode? servicesNode = null;
            foreach (var (key, value) in map.Entries)
            {
                switch (key.Value)
                {
                    case "version":
                        if (value is not YamlScalar { Value: "1" })
                        {
                            Error(value.Start, "version", "the only version is 1");
                        }

                        break;
                    case "services":
                        servicesNode = value;
                        break;
                    default:
                        Error(key.Start, key.Value, "unknown key (expected: version, services)");
                        break;
                }
            }

            if (servicesNode is null)
            {
                Error(map.Start, "services", "required: declare at least one service");
                return null;
            }

            if (servicesNode is not YamlMap services || services.Entries.Count == 0)
            {
                Error(servicesNode.Start, "services", "must map service names to their settings");
                return null;
            }

            if (services.Entries.Count > MaxServices)
            {
                Error(services.Start, "services", $"at most {MaxServices} services");
            }

            var list = new List<ManifestService>();
            foreach (var (key, value) in services.Entries)
            {
                if (Service(key, value) is { } service)
                {
                    list.Add(service);
                }
            }

            return list;
        }

        private ManifestService? Service(YamlScalar key, YamlNode node)
        {
            var name = key.Value;
            var at = $"services.{name}";
            var ok = true;
            if (!ServiceName().IsMatch(name))
            {
                ok = Error(key.Start, at, "a service name is 1-40 lowercase letters, digits and dashes, starting with a letter");
            }

            if (node is not YamlMap map)
            {
                Error(node.Start, at, "must be a mapping (image or build, port, ...)");
                return null;
            }

            string? image = null;
            ManifestBuild? build = null;
            IReadOnlyList<string>? command = null;
            int? port = null;
            string? health = null;
            ServiceKind? kind = null;
            var secrets = new List<ManifestSecret>();
            foreach (var (k, value) in map.Entries)
            {
                var field = $"{at}.{k.Value}";
                switch (k.Value)
                {
                    case "image":
                        image = Text(value, field);
                        if (image is not null && !ImageName().IsMatch(image))
                        {
                            image = null;
                            ok = Error(value.Start, field, "not an image reference (name[:tag], lowercase)");
                        }

                        break;
                    case "build":
                        build = Build(value, field);
                        ok &= build is not null;
                        break;
                    case "command":
                        command = Command(value, field);
                        ok &= command is not null;
                        break;
                    case "port":
                        port = Port(value, field);
                        ok &= port is not null;
                        break;
                    case "health":
                        health = Text(value, field);
                        if (health is not null && !HealthPath().IsMatch(health))
                        {
                            health = null;
                            ok = Error(value.Start, field, "a health check is a path starting with '/'");
                        }

                        break;
                    case "kind":
                        var text = Text(value, field);
                        if (text is null)
                        {
                            break;
                        }

                        if (Enum.TryParse<ServiceKind>(text, ignoreCase: true, out var parsed) && text.All(char.IsAsciiLetterLower))
                        {
                            kind = parsed;
                        }
                        else
                        {
                            ok = Error(value.Start, field, "one of app, console, database, mail, storage, admin, shell");
                        }

                        break;
                    case "secrets":
                        ok &= Secrets(value, $"{at}.secrets", secrets);
                        break;
                    default:
                        ok = Error(k.Start, field, "unknown key (expected: image, build, command, port, health, kind, secrets)");
                        break;
                }
            }

            if (port is null && !map.Entries.Any(e => e.Key.Value == "port"))
            {
                ok = Error(map.Start, $"{at}.port", "required: the port the service listens on");
            }

            var hasImage = map.Entries.Any(e => e.Key.Value == "image");
            var hasBuild = map.Entries.Any(e => e.Key.Value == "build");
            if (hasImage == hasBuild)
            {
                ok = Error(map.Start, at, hasImage ? "give either image or build, not both" : "required: image or build");
            }

            return ok && port is { } p ? new ManifestService(name, image, build, command, p, health, kind ?? ServiceKinds.DefaultFor(name, p), secrets) : null;
        }

        private ManifestBuild? Build(YamlNode node, string field)
        {
            if (node is YamlScalar)
            {
                return Text(node, field) is { } directory && RelativePath(directory, node, field) ? new ManifestBuild(directory, "Dockerfile") : null;
            }

            if (node is not YamlMap map)
            {
                Error(node.Start, field, "a context directory, or a mapping with context and dockerfile");
                return null;
            }

            string? context = null, dockerfile = "Dockerfile";
            var ok = true;
            foreach (var (k, value) in map.Entries)
            {
                switch (k.Value)
                {
                    case "context":
                        context = Text(value, $"{field}.context");
                        ok &= context is not null && RelativePath(context, value, $"{field}.context");
                        break;
                    case "dockerfile":
                        dockerfile = Text(value, $"{field}.dockerfile");
                        ok &= dockerfile is not null && RelativePath(dockerfile, value, $"{field}.dockerfile");
                        break;
                    default:
                        ok = Error(k.Start, $"{field}.{k.Value}", "unknown key (expected: context, dockerfile)");
                        break;
                }
            }

            if (context is null && ok)
            {
                ok = Error(map.Start, $"{field}.context", "required: the build context directory");
            }

            return ok ? new ManifestBuild(context!, dockerfile!) : null;
        }

        /// <summary>Paths stay inside the repository: relative, no '..' segment.</summary>
        private bool RelativePath(string path, YamlNode node, string field)
        {
            var segments = path.Replace('\\', '/').Split('/');
            return path.Length > 0 && path[0] != '/' && !segments.Contains("..")
                || Error(node.Start, field, "a path relative to the manifest's directory, without '..'");
        }

        private List<string>? Command(YamlNode node, string field)
        {
            switch (node)
            {
                case YamlScalar scalar when scalar.Value.Length > 0:
                    return ["/bin/sh", "-c", scalar.Value];
                case YamlSequence { Items.Count: > 0 } sequence:
                    var parts = new List<string>();
                    foreach (var item in sequence.Items)
                    {
                        if (Text(item, field) is { } part)
                        {
                            parts.Add(part);
                        }
                    }

                    return parts.Count == sequence.Items.Count ? parts : null;
                default:
                    Error(node.Start, field, "a command line, or a list of arguments");
                    return null;
            }
        }

        private int? Port(YamlNode node, string field)
        {
            if (node is YamlScalar { Quoted: false } scalar && int.TryParse(scalar.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                if (port is >= 1 and <= 65535)
                {
                    return port;
                }

                Error(node.Start, field, $"port {port} is out of range (1-65535)");
                return null;
            }

            Error(node.Start, field, "a port number (1-65535)");
            return null;
        }

        private bool Secrets(YamlNode node, string field, List<ManifestSecret> secrets)
        {
            if (node is not YamlMap map)
            {
                return Error(node.Start, field, "must map environment variable names to references such as { ssm: /envforge/acme/db }");
            }

            var ok = true;
            foreach (var (k, value) in map.Entries)
            {
                var at = $"{field}.{k.Value}";
                if (!EnvName().IsMatch(k.Value))
                {
                    ok = Error(k.Start, at, "a secret is named as an environment variable: A-Z, 0-9 and _");
                }

                if (value is not YamlMap reference)
                {
                    // Never echo it: this may be the secret itself.
                    ok = Error(value.Start, at, "a secret value is written inline; write a reference instead, such as { ssm: /envforge/acme/db }");
                    continue;
                }

                string? path = null;
                var inline = false;
                foreach (var (rk, rv) in reference.Entries)
                {
                    if (rk.Value == "ssm")
                    {
                        path = rv is YamlScalar s ? s.Value : null;
                        if (path is null || !Domain.Secrets.OrgSecretDecider.IsValidPath(path))
                        {
                            path = null;
                            ok = Error(rv.Start, $"{at}.ssm", "an SSM parameter path such as /envforge/acme/db");
                        }
                    }
                    else if (rk.Value is "value" or "default" or "plain" or "text")
                    {
                        inline = true;
                        ok = Error(rv.Start, $"{at}.{rk.Value}", "a secret value is written inline; write a reference instead, such as { ssm: /envforge/acme/db }");
                    }
                    else
                    {
                        ok = Error(rk.Start, $"{at}.{rk.Value}", "unknown key (expected: ssm)");
                    }
                }

                if (path is not null)
                {
                    secrets.Add(new ManifestSecret(k.Value, path));
                }
                else if (!inline && !reference.Entries.Any(e => e.Key.Value == "ssm"))
                {
                    ok = Error(reference.Start, $"{at}.ssm", "required: the SSM parameter path the secret comes from");
                }
            }

            return ok;
        }

        private string? Text(YamlNode node, string field)
        {
            if (node is YamlScalar { Value.Length: > 0 and <= 1000 } scalar)
            {
                return scalar.Value;
            }

            Error(node.Start, field, "a non-empty text value (at most 1000 characters)");
            return null;
        }

        /// <summary>Records an error; returns false, so <c>ok = Error(...)</c> reads as "not ok".</summary>
        private bool Error(Mark? at, string field, string message)
        {
            errors.Add(new ManifestError(file, (int)(at?.Line ?? 1), (int)(at?.Column ?? 1), field, message));
            return false;
        }
    }
}
