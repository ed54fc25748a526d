using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Sql;

/// <summary>
/// A <c>-…-params</c> list: comma-separated as in the originals, each value a template rendered per job and
/// bound as a real query parameter, so a value can never change the statement. A value in double quotes may
/// hold commas (<c>"a, b",{{0.id}}</c>); <c>""</c> inside quotes is one literal quote. Whitespace around a value
/// is kept, as the originals kept it.
/// </summary>
internal sealed class SqlParams
{
    private readonly IReadOnlyList<SettingTemplate> _values;

    private SqlParams(IReadOnlyList<SettingTemplate> values) => _values = values;

    public static SqlParams None { get; } = new([]);

    public int Count => _values.Count;

    /// <summary>Whether every value reads nothing but the variable <paramref name="name"/> (or is literal text).</summary>
    public bool ReadsOnly(string name) =>
        _values.SelectMany(v => v.Template.Parts).OfType<TemplateExpression>().All(e => e.IsPath && e.Source.Trim() == name);

    /// <summary>
    /// Whether a value may read <paramref name="path"/> (<c>0.work</c>): a path to it, into it or above it
    /// (<c>{{0}}</c>), or an expression whose reads cannot be told.
    /// </summary>
    public bool MayRead(string path) =>
        _values.SelectMany(v => v.Template.Parts).OfType<TemplateExpression>().Any(e =>
            !e.IsPath || e.Source.Trim() is var p && (p == path || p.StartsWith(path + ".", StringComparison.Ordinal) || path.StartsWith(p + ".", StringComparison.Ordinal)));

    /// <summary>Parses the setting's value; a malformed list or template names the flag and env var.</summary>
    public static SqlParams Parse(SettingValues settings, Setting setting)
    {
        if (settings.GetString(setting) is not { Length: > 0 } text)
        {
            return None;
        }
        try
        {
            return new SqlParams(Split(text).Select(value => SettingTemplate.Parse(settings, setting, value)).ToList());
        }
        catch (FormatException e)
        {
            throw settings.Invalid(setting, e.Message);
        }
    }

    /// <summary>
    /// The values for one push of <paramref name="input"/>: as <see cref="Render"/>, but input that is not JSON
    /// while a value reads a field from it is a data error (the row would be all NULLs). A field one JSON input
    /// lacks still binds NULL, as in the originals.
    /// </summary>
    public IReadOnlyList<object?> RenderInput(TemplateData input)
    {
        foreach (var value in _values)
        {
            value.RequireDocument(input);
        }
        return Render(input);
    }

    /// <summary>
    /// The values for one job. A value that is exactly one hole keeps its JSON null (or a missing path) as SQL
    /// NULL; anything else renders to text: strings raw, numbers and objects as JSON text.
    /// </summary>
    public IReadOnlyList<object?> Render(TemplateData data)
    {
        var result = new object?[_values.Count];
        for (var i = 0; i < _values.Count; i++)
        {
            var template = _values[i].Template;
            if (template.Parts is [TemplateExpression only])
            {
                var value = only.Evaluate(data);
                result[i] = value.Node is null || (value.Node is JsonValue v && v.GetValueKind() == JsonValueKind.Null) ? null : Template.FormatDefault(value);
            }
            else
            {
                result[i] = template.Render(data);
            }
        }
        return result;
    }

    internal static List<string> Split(string text)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException($"unclosed double quote in '{text}'");
                    }
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        current.Append('"');
                        i += 2;
                    }
                    else if (text[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        current.Append(text[i++]);
                    }
                }
                while (i < text.Length && text[i] == ' ')
                {
                    i++;
                }
                if (i < text.Length && text[i] != ',')
                {
                    throw new FormatException($"unexpected text after a quoted value in '{text}' (quote the whole value)");
                }
            }
            else
            {
                i = start;
                while (i < text.Length && text[i] != ',')
                {
                    current.Append(text[i++]);
                }
            }
            values.Add(current.ToString());
            current.Clear();
            if (i >= text.Length)
            {
                return values;
            }
            i++; // the comma
        }
    }
}
