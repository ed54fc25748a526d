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
    public string Render(TemplateData data, Func<TemplateValue, string> format)
    {
        var sb = new StringBuilder();
        foreach (var part in Parts)
        {
            sb.Append(part switch
            {
                TemplateLiteral literal => literal.Text,
                TemplateExpression expression => format(expression.Evaluate(data)),
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

    public TemplateValue Evaluate(TemplateData data)
    {
        if (_scriban is null)
        {
            var node = data.Resolve(Source, out var found);
            return new TemplateValue(node, found);
        }
        try
        {
            var context = new Scriban.TemplateContext { StrictVariables = false, EnableRelaxedMemberAccess = true };
            context.PushGlobal(ScribanValues.Globals(data));
            var text = _scriban.Render(context);
            return new TemplateValue(JsonValue.Create(text), true);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new TemplateException($"template expression '{{{{{Source}}}}}' failed: {e.OriginalMessage}", e);
        }
    }
}

/// <summary>A value a hole evaluated to; <see cref="Found"/> false when the path led nowhere.</summary>
public readonly record struct TemplateValue(JsonNode? Node, bool Found);

public sealed class TemplateException : Exception
{
    public TemplateException() { }

    public TemplateException(string message) : base(message) { }

    public TemplateException(string message, Exception inner) : base(message, inner) { }
}
