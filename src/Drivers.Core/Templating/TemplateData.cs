using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drivers.Core.Templating;

/// <summary>
/// What a template renders from: named variables (<c>key</c>, <c>id</c>, <c>pushx_payload</c>) looked up
/// first, then a gjson-style path into a JSON document (<c>address.street</c>, <c>0.id</c>).
/// Immutable: each job builds its own, so one job's values never leak into another's templates.
/// </summary>
public sealed class TemplateData
{
    private readonly Dictionary<string, JsonNode?> _variables;

    private TemplateData(JsonNode? root, Dictionary<string, JsonNode?> variables)
    {
        Root = root;
        _variables = variables;
    }

    public static TemplateData Empty { get; } = new(null, new(StringComparer.Ordinal));

    /// <summary>The JSON document paths resolve against, if any.</summary>
    public JsonNode? Root { get; }

    /// <summary>False when the input was not JSON (or there was no input): every path then leads nowhere.</summary>
    public bool HasDocument => Root is not null;

    public IReadOnlyDictionary<string, JsonNode?> Variables => _variables;

    public static TemplateData FromJson(JsonNode? root) => new(root, new(StringComparer.Ordinal));

    /// <summary>Parses <paramref name="bytes"/> as JSON when they are JSON; otherwise no document.</summary>
    public static TemplateData FromPayloadBytes(ReadOnlySpan<byte> bytes) => FromJson(TryParseJson(bytes));

    public TemplateData With(string name, string? value) => With(name, value is null ? null : JsonValue.Create(value));

    public TemplateData With(string name, JsonNode? value)
    {
        var copy = new Dictionary<string, JsonNode?>(_variables, StringComparer.Ordinal) { [name] = value };
        return new TemplateData(Root, copy);
    }

    /// <summary>Resolves a variable name or a path; <paramref name="found"/> false when nothing is there.</summary>
    public JsonNode? Resolve(string path, out bool found)
    {
        if (_variables.TryGetValue(path, out var variable))
        {
            found = true;
            return variable;
        }
        var head = JsonPath.Head(path);
        if (head != path && _variables.TryGetValue(head, out var baseNode))
        {
            return JsonPath.Resolve(baseNode, path[(head.Length + 1)..], out found);
        }
        return JsonPath.Resolve(Root, path, out found);
    }

    public static JsonNode? TryParseJson(ReadOnlySpan<byte> bytes)
    {
        var trimmed = bytes.Trim(" \t\r\n"u8);
        if (trimmed.Length == 0 || (trimmed[0] != (byte)'{' && trimmed[0] != (byte)'['))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(trimmed);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
