using System.Text;

namespace Drivers.Core.Failures;

/// <summary>
/// Turns exceptions and values into text that is safe on one log line: control characters escaped (a file
/// name with a newline must not forge a log line), one line per error.
/// </summary>
public static class ErrorText
{
    /// <summary>The exception's message as one line.</summary>
    public static string Describe(Exception e) => OneLine(e.Message);

    /// <summary>Escapes control characters (\n, \r, \t, \x1b, …) so the text stays on one line.</summary>
    public static string OneLine(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.ToString();
    }
}
