using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Drivers.Core.Templating;

/// <summary>
/// A parsed template in the originals' form: text with <c>{{ … }}</c> holes. A hole holding a gjson-style
/// path (<c>{{id}}</c>, <c>{{address.street}}</c>, <c>{{0.id}}</c>, <c>{{pushx_payload}}</c>) is looked up
/// directly; any other hole is one Scriban expression (<c>{{ name | string.upcase }}</c>). Blocks
/// (<c>if</c>/<c>for</c>) are not supported: each hole is a single expression.
/// </summary>
public sealed partial class Template
{
    private Template(string text, IReadOnlyList<TemplatePart> parts)
    {
        Text = text;
        Parts = parts;
    }

    public string Text { get; }

    public IReadOnlyList<TemplatePart> Parts { get; }

    public bool HasExpressions => Parts.Any(p => p is TemplateExpression);

    /// <summary>Parses <paramref name="text"/>; a malformed hole throws <see cref="TemplateException"/>.</summary>
    public static Template Parse(string text)
    {
        var parts = new List<TemplatePart>();
        var position = 0;
        while (position < text.Length)
        {
            var open = text.IndexOf("{{", position, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new TemplateLiteral(text[position..]));
                break;
            }
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new TemplateException($"template '{text}' has '{{{{' without a closing '}}}}'");
            }
            if (open > position)
            {
                parts.Add(new TemplateLiteral(text[position..open]));
            }
            parts.Add(TemplateExpression.Create(text[(open + 2)..close].Trim()));
            position = close + 2;
        }
        return new Template(text, parts);
    }

    /// <summary>Renders with the default formatting: strings raw, other JSON as JSON text, missing as empty.</summary>
    public string Render(TemplateData data) => Render(data, FormatDefault);

    /// <summary>Renders, letting the caller format each value (escaping for a query language, say).</summary>
    public string Render(TemplateData data, Func<TemplateValue, string> format) => Render(data, format, strict: false);

    /// <summary>
    /// Renders, requiring every field a hole reads: a path that leads nowhere or to a JSON null, or a Scriban
    /// expression naming a variable or member the data lacks, throws <see cref="TemplateFieldException"/>. For a
    /// key or a name, where an empty hole would make every input collide on one name.
    /// </summary>
    public string RenderStrict(TemplateData data) => Render(data, FormatDefault, strict: true);

    private string Render(TemplateData data, Func<TemplateValue, string> format, bool strict)
    {
        var sb = new StringBuilder();
        foreach (var part in Parts)
        {
            sb.Append(part switch
            {
                TemplateLiteral literal => literal.Text,
                TemplateExpression expression => format(expression.Evaluate(data, strict)),
                _ => "",
            });
        }
        return sb.ToString();
    }

    public static string FormatDefault(TemplateValue value) => value.Node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        var node => node.ToJsonString(),
    };

    [GeneratedRegex(@"^[\p{L}\p{N}_\-#@$]+(\\?\.[\p{L}\p{N}_\-#@$]+|\\\.)*$")]
    internal static partial Regex PathPattern();

    [GeneratedRegex(@"^The variable or function `([^`]+)` was not found|^Cannot get member with name ([^ ]+?)\.?$")]
    internal static partial Regex ScribanMissingName();
}

public abstract record TemplatePart;

public sealed record TemplateLiteral(string Text) : TemplatePart;

/// <summary>One hole: a path, or a Scriban expression.</summary>
public sealed record TemplateExpression : TemplatePart
{
    private readonly Scriban.Template? _scriban;

    private TemplateExpression(string source, Scriban.Template? scriban)
    {
        Source = source;
        _scriban = scriban;
    }

    public string Source { get; }

    /// <summary>True for a plain path lookup; false for a Scriban expression.</summary>
    public bool IsPath => _scriban is null;

    internal static TemplateExpression Create(string source)
    {
        if (source.Length == 0)
        {
            throw new TemplateException("template has an empty '{{ }}'");
        }
        if (Template.PathPattern().IsMatch(source))
        {
            return new TemplateExpression(source, null);
        }
        var scriban = Scriban.Template.Parse("{{" + source + "}}");
        if (scriban.HasErrors)
        {
            throw new TemplateException($"template expression '{{{{{source}}}}}' is invalid: {string.Join("; ", scriban.Messages)}");
        }
        return new TemplateExpression(source, scriban);
    }

    public TemplateValue Evaluate(TemplateData data) => Evaluate(data, strict: false);

    /// <summary>Evaluates the hole; <paramref name="strict"/> turns a missing (or null) field into <see cref="TemplateFieldException"/>.</summary>
    public TemplateValue Evaluate(TemplateData data, bool strict)
    {
        if (_scriban is null)
        {
            var node = data.Resolve(Source, out var found);
            if (strict && (!found || node is null))
            {
                throw new TemplateFieldException(Source, found, data.Root is null);
            }
            return new TemplateValue(node, found);
        }
        try
        {
            // Strict: Scriban itself reports an unknown variable or member instead of rendering it as empty.
            var context = new Scriban.TemplateContext { StrictVariables = strict, EnableRelaxedMemberAccess = !strict };
            context.PushGlobal(ScribanValues.Globals(data));
            var text = _scriban.Render(context);
            return new TemplateValue(JsonValue.Create(text), true);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            if (strict && MissingName(e.OriginalMessage) is { } field)
            {
                throw new TemplateFieldException(field, false, data.Root is null, e);
            }
            throw new TemplateException($"template expression '{{{{{Source}}}}}' failed: {e.OriginalMessage}", e);
        }
    }

    // Scriban's wording for an unknown name: "The variable or function `name` was not found",
    // "Cannot get member with name street.".
    private static string? MissingName(string message) =>
        Template.ScribanMissingName().Match(message) is { Success: true } m ? m.Groups[1].Value + m.Groups[2].Value : null;
}

/// <summary>A value a hole evaluated to; <see cref="Found"/> false when the path led nowhere.</summary>
public readonly record struct TemplateValue(JsonNode? Node, bool Found);

public class TemplateException : Exception
{
    public TemplateException() { }

    public TemplateException(string message) : base(message) { }

    public TemplateException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A strict render met a field the data does not have (or has as null), or data that is no JSON at all.</summary>
public sealed class TemplateFieldException : TemplateException
{
    public TemplateFieldException() { }

    public TemplateFieldException(string message) : base(message) { }

    public TemplateFieldException(string message, Exception inner) : base(message, inner) { }

    public TemplateFieldException(string field, bool isNull, bool noDocument, Exception? inner = null)
        : base(Describe(field, isNull, noDocument), inner)
    {
        Field = field;
        NoDocument = noDocument;
    }

    /// <summary>The path or name the template reads (<c>id</c>, <c>address.street</c>).</summary>
    public string Field { get; } = "";

    /// <summary>True when the data held no JSON document at all (the input is not JSON).</summary>
    public bool NoDocument { get; }

    private static string Describe(string field, bool isNull, bool noDocument) =>
        noDocument ? $"the input is not JSON, so it has no field '{field}'"
        : isNull ? $"field '{field}' is null in the input"
        : $"the input has no field '{field}'";
}
