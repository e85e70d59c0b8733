using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace EnvForge.Cli.Infrastructure;

/// <summary>A column of a table: its header and how to read it from one JSON row.</summary>
public sealed record Column(string Header, Func<JsonNode?, string?> Read)
{
    /// <summary>A column read from a property path such as <c>link.id</c>.</summary>
    public static implicit operator Column((string Header, string Path) c) => new(c.Header, row => Text(At(row, c.Path)));

    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node;
    }

    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonArray a => string.Join(", ", a.Select(Text)),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}

/// <summary>Human tables by default (Spectre.Console), the server's JSON with <c>--json</c>. Errors go to standard error.</summary>
public sealed class Output(TextWriter stdout, TextWriter stderr, bool json)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = System.Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = System.Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    });

    public bool IsJson => json;

    public TextWriter Error => stderr;

    public IAnsiConsole Console => _console;

    /// <summary>Rows as a table, or the JSON as given.</summary>
    public void Table(JsonNode? rows, params Column[] columns)
    {
        if (json)
        {
            WriteJson(rows);
            return;
        }

        // A page ({"items": [...], "nextCursor": ...}) shows its items; a single object shows as one row.
        var items = rows as JsonArray ?? (rows?["items"] as JsonArray) ?? (rows is null ? [] : [rows.DeepClone()]);
        if (items.Count == 0)
        {
            stdout.WriteLine("(none)");
            return;
        }

        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column.Header).NoWrap());
        }

        foreach (var row in items)
        {
            table.AddRow([.. columns.Select(c => Markup.Escape(c.Read(row) ?? "-"))]);
        }

        WithWidth(() => _console.Write(table));
    }

    /// <summary>One object as "field: value" lines, or its JSON.</summary>
    public void Fields(JsonNode? item, params Column[] columns)
    {
        if (json)
        {
            WriteJson(item);
            return;
        }

        var width = columns.Max(c => c.Header.Length);
        foreach (var column in columns)
        {
            stdout.WriteLine($"{(column.Header + ":").PadRight(width + 2)}{column.Read(item) ?? "-"}");
        }
    }

    /// <summary>A sentence for people; with --json, the JSON it summarizes (or nothing).</summary>
    public void Done(string message, JsonNode? result = null)
    {
        if (json)
        {
            WriteJson(result ?? new JsonObject { ["ok"] = true });
        }
        else
        {
            stdout.WriteLine(message);
        }
    }

    public void WriteJson(JsonNode? node) => stdout.WriteLine(node?.ToJsonString(Json) ?? "null");

    public void Line(string text) => stdout.WriteLine(text);

    private void WithWidth(Action write)
    {
        if (System.Console.IsOutputRedirected)
        {
            _console.Profile.Width = 240; // a pipe or a file: never truncate a column to a terminal's width
        }

        write();
    }
}
