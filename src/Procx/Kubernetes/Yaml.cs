using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Procx.Kubernetes;

/// <summary>
/// A small YAML writer for the manifests: block mappings and sequences, every scalar a double-quoted string
/// (JSON's escapes are YAML's), so no value a user gives (a query, a URL, a command) can change the structure.
/// </summary>
internal sealed class Yaml
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public static string Quote(string value) => "\"" + JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    public Yaml Comment(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            Line("# " + line);
        }
        return this;
    }

    public Yaml Document()
    {
        _text.Append("---\n");
        return this;
    }

    public Yaml Value(string key, string value) => Line($"{key}: {Quote(value)}");

    public Yaml Number(string key, long value) => Line($"{key}: {value}");

    public Yaml Bool(string key, bool value) => Line($"{key}: {(value ? "true" : "false")}");

    public Yaml Strings(string key, IEnumerable<string> values) => Line($"{key}: [{string.Join(", ", values.Select(Quote))}]");

    /// <summary>A nested mapping under <paramref name="key"/>.</summary>
    public Yaml Map(string key, Action<Yaml> body)
    {
        Line(key + ":");
        _indent += 2;
        body(this);
        _indent -= 2;
        return this;
    }

    /// <summary>A sequence of mappings under <paramref name="key"/>, one per item.</summary>
    public Yaml List<T>(string key, IEnumerable<T> items, Action<Yaml, T> body)
    {
        Line(key + ":");
        foreach (var item in items)
        {
            var start = _text.Length;
            _indent += 2;
            body(this, item);
            _indent -= 2;
            // The item's first line gets the dash: "  - key: value".
            var firstIndent = new string(' ', _indent + 2);
            _text.Remove(start, firstIndent.Length).Insert(start, new string(' ', _indent) + "- ");
        }
        return this;
    }

    public override string ToString() => _text.ToString();

    private Yaml Line(string text)
    {
        _text.Append(' ', _indent).Append(text).Append('\n');
        return this;
    }
}
