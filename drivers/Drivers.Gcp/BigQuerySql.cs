using Drivers.Core.Contracts;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Drivers.Core;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Renders a templated GoogleSQL statement without letting a value rewrite it. The Go original spliced
/// values into the text, so a name holding <c>"); DROP TABLE x; --</c> became SQL. Here each hole is
/// rendered for where it stands in the statement:
/// <list type="bullet">
/// <item>inside a quoted string or quoted identifier (<c>"…"</c>, <c>'…'</c>, triple-quoted, <c>`…`</c>):
/// the value's text is escaped for that literal (backslash, quotes, control characters), so it stays data;</item>
/// <item>inside a raw string (<c>r"…"</c>): allowed only when it holds no quote, backslash or newline;</item>
/// <item>outside quotes: only a JSON number, boolean or null (or a string that is exactly a decimal number)
/// is written; anything else fails with an error naming the hole;</item>
/// <item>inside a comment: refused.</item>
/// </list>
/// The seed's <c>VALUES ({{id}}, "{{name}}", "{{another}}")</c> therefore works unchanged.
/// </summary>
internal static partial class BigQuerySql
{
    private enum Context { Code, Quoted, Raw, LineComment, BlockComment }

    private readonly record struct Position(Context Context, string Quote);

    /// <summary>Checks the template once (holes in comments are an error at start-up).</summary>
    public static void Validate(Template template, string settingName)
    {
        foreach (var (expression, position) in Positions(template))
        {
            if (position.Context is Context.LineComment or Context.BlockComment)
            {
                throw DriverException.Configuration($"-{settingName}: the hole {{{{{expression.Source}}}}} stands inside a SQL comment; values cannot be placed there safely");
            }
        }
    }

    public static string Render(Template template, TemplateData data, string settingName)
    {
        var sb = new StringBuilder();
        var positions = Positions(template).ToDictionary(p => p.Expression, p => p.Position);
        foreach (var part in template.Parts)
        {
            switch (part)
            {
                case TemplateLiteral literal:
                    sb.Append(literal.Text);
                    break;
                case TemplateExpression expression:
                    sb.Append(RenderValue(expression, expression.Evaluate(data), positions[expression], settingName));
                    break;
            }
        }
        return sb.ToString();
    }

    private static string RenderValue(TemplateExpression expression, TemplateValue value, Position position, string settingName)
    {
        var hole = "{{" + expression.Source + "}}";
        switch (position.Context)
        {
            case Context.Quoted:
                return Escape(Template.FormatDefault(value));
            case Context.Raw:
                var text = Template.FormatDefault(value);
                if (text.Contains('\\') || text.Contains(position.Quote[0]) || text.Contains('\n') || text.Contains('\r'))
                {
                    throw DriverException.DataError($"-{settingName}: {hole} stands in a raw string literal and its value holds a quote, backslash or newline, which a raw literal cannot escape; use a normal quoted literal");
                }
                return text;
            case Context.Code:
                return Unquoted(value, hole, settingName);
            default:
                throw DriverException.Configuration($"-{settingName}: the hole {hole} stands inside a SQL comment");
        }
    }

    private static string Unquoted(TemplateValue value, string hole, string settingName)
    {
        if (!value.Found)
        {
            throw DriverException.DataError($"-{settingName}: {hole} has no value in the input, and outside quotes it must be a JSON number, boolean or null");
        }
        switch (value.Node)
        {
            case null:
                return "NULL";
            case JsonValue v when v.GetValueKind() is JsonValueKind.True:
                return "TRUE";
            case JsonValue v when v.GetValueKind() is JsonValueKind.False:
                return "FALSE";
            case JsonValue v when v.GetValueKind() is JsonValueKind.Number:
                return v.ToJsonString();
            case JsonValue v when v.GetValueKind() is JsonValueKind.String && NumberPattern().IsMatch(v.GetValue<string>()):
                return v.GetValue<string>();
            default:
                var shown = value.Node.ToJsonString();
                if (shown.Length > 60)
                {
                    shown = shown[..60] + "…";
                }
                throw DriverException.DataError(
                    $"-{settingName}: {hole} renders {shown} outside quotes; only a JSON number, boolean or null may stand there. " +
                    $"Put the hole inside a quoted literal (\"{hole}\") to insert it as a string");
        }
    }

    /// <summary>Escapes text for any GoogleSQL quoted string or quoted identifier.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\'': sb.Append("\\'"); break;
                case '`': sb.Append("\\`"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ' or '\u007f':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Where each hole stands, by scanning the literal text around it as a GoogleSQL lexer would.</summary>
    private static IEnumerable<(TemplateExpression Expression, Position Position)> Positions(Template template)
    {
        var context = Context.Code;
        var quote = "";
        var previous = new StringBuilder(); // the code text so far, for the r/b prefix check
        foreach (var part in template.Parts)
        {
            if (part is TemplateExpression expression)
            {
                yield return (expression, new Position(context, quote));
                if (context == Context.Code)
                {
                    previous.Append('0'); // a value stands here (an identifier-ish token)
                }
                continue;
            }
            var text = ((TemplateLiteral)part).Text;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                switch (context)
                {
                    case Context.Code:
                        if (c == '-' && At(text, i, "--") || c == '#')
                        {
                            context = Context.LineComment;
                        }
                        else if (c == '/' && At(text, i, "/*"))
                        {
                            context = Context.BlockComment;
                            i++;
                        }
                        else if (c is '"' or '\'' or '`')
                        {
                            quote = c != '`' && At(text, i, new string(c, 3)) ? new string(c, 3) : c.ToString();
                            i += quote.Length - 1;
                            context = c != '`' && IsRawPrefix(previous) ? Context.Raw : Context.Quoted;
                        }
                        else
                        {
                            previous.Append(c);
                        }
                        break;
                    case Context.Quoted:
                        if (c == '\\')
                        {
                            i++;
                        }
                        else if (At(text, i, quote))
                        {
                            i += quote.Length - 1;
                            context = Context.Code;
                            previous.Append(' ');
                        }
                        break;
                    case Context.Raw:
                        if (At(text, i, quote))
                        {
                            i += quote.Length - 1;
                            context = Context.Code;
                            previous.Append(' ');
                        }
                        break;
                    case Context.LineComment:
                        if (c == '\n')
                        {
                            context = Context.Code;
                            previous.Append(' ');
                        }
                        break;
                    case Context.BlockComment:
                        if (c == '*' && At(text, i, "*/"))
                        {
                            i++;
                            context = Context.Code;
                            previous.Append(' ');
                        }
                        break;
                }
            }
        }
    }

    private static bool At(string text, int i, string token) => string.CompareOrdinal(text, i, token, 0, token.Length) == 0;

    // r"…", R'…', br"…", rb"…": a prefix of r/b letters that is not the tail of a longer identifier.
    private static bool IsRawPrefix(StringBuilder code)
    {
        var end = code.Length;
        var start = end;
        while (start > 0 && start > end - 2 && code[start - 1] is 'r' or 'R' or 'b' or 'B')
        {
            start--;
        }
        if (start == end || (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')))
        {
            return false;
        }
        for (var i = start; i < end; i++)
        {
            if (code[i] is 'r' or 'R')
            {
                return true;
            }
        }
        return false;
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
