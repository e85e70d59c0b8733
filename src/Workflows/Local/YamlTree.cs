using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace EnvForge.Workflows.Local;

internal abstract record YamlNode(Mark Start);

internal sealed record YamlScalar(Mark Start, string Value, bool Quoted) : YamlNode(Start);

internal sealed record YamlMap(Mark Start, List<(YamlScalar Key, YamlNode Value)> Entries) : YamlNode(Start);

internal sealed record YamlSequence(Mark Start, List<YamlNode> Items) : YamlNode(Start);

/// <summary>
/// A small tree from YamlDotNet's parser events, keeping every node's position. Duplicate keys, non-scalar keys, aliases
/// (and so alias bombs) and more than one document are errors; tags are ignored.
/// </summary>
internal static class YamlTree
{
    public const int MaxLength = 256 * 1024;

    public static YamlNode? Read(string text, string file, List<ManifestError> errors)
    {
        if (text.Length > MaxLength)
        {
            errors.Add(new ManifestError(file, 1, 1, "(file)", $"larger than {MaxLength / 1024} KiB"));
            return null;
        }

        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _))
        {
            errors.Add(new ManifestError(file, 1, 1, "(file)", "the file is empty"));
            return null;
        }

        parser.Consume<DocumentStart>();
        var root = parser.Accept<DocumentEnd>(out _) ? null : Node(parser, file, "", errors, depth: 0);
        parser.Consume<DocumentEnd>();
        if (parser.Accept<DocumentStart>(out var second))
        {
            errors.Add(new ManifestError(file, (int)second.Start.Line, (int)second.Start.Column, "(file)", "only one YAML document is allowed"));
        }

        return root;
    }

    private static YamlNode Node(IParser parser, string file, string path, List<ManifestError> errors, int depth)
    {
        if (depth > 32)
        {
            throw new YamlException(parser.Current!.Start, parser.Current.End, "nested too deeply");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            errors.Add(new ManifestError(file, (int)alias.Start.Line, (int)alias.Start.Column, Field(path), "anchors and aliases are not supported"));
            return new YamlScalar(alias.Start, string.Empty, Quoted: false);
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            return new YamlScalar(scalar.Start, scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted);
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(Node(parser, file, path, errors, depth + 1));
            }

            return new YamlSequence(sequenceStart.Start, items);
        }

        var mappingStart = parser.Consume<MappingStart>();
        var entries = new List<(YamlScalar, YamlNode)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = Node(parser, file, path, errors, depth + 1);
            if (keyNode is not YamlScalar key)
            {
                errors.Add(new ManifestError(file, (int)keyNode.Start.Line, (int)keyNode.Start.Column, Field(path), "keys must be plain names"));
                Node(parser, file, path, errors, depth + 1);
                continue;
            }

            var child = path.Length == 0 ? key.Value : $"{path}.{key.Value}";
            var value = Node(parser, file, child, errors, depth + 1);
            if (!seen.Add(key.Value))
            {
                errors.Add(new ManifestError(file, (int)key.Start.Line, (int)key.Start.Column, child, $"'{key.Value}' is declared twice"));
                continue;
            }

            entries.Add((key, value));
        }

        return new YamlMap(mappingStart.Start, entries);
    }

    private static string Field(string path) => path.Length == 0 ? "(root)" : path;
}
