using System.Globalization;

namespace Drivers.Core.Cli;

/// <summary>Word-wrapping for <c>--help</c> and <c>--list-drivers</c>, to the width of the terminal.</summary>
public static class TextWrap
{
    /// <summary>The width when output is not a terminal (a pipe, a file, a test) and COLUMNS is not set.</summary>
    public const int DefaultWidth = 80;

    /// <summary>Narrower than this, wrapping would put a word or two per line; we use this instead.</summary>
    public const int MinimumWidth = 40;

    /// <summary>
    /// COLUMNS when it holds a number (shells set it; a user or a test may export it), else the terminal's
    /// width when stdout is one, else 80.
    /// </summary>
    public static int OutputWidth(string? columns, Func<int?> terminalWidth)
    {
        if (int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out var fromEnv) && fromEnv > 0)
        {
            return Math.Max(MinimumWidth, fromEnv);
        }
        return terminalWidth() is { } width and > 0 ? Math.Max(MinimumWidth, width) : DefaultWidth;
    }

    /// <summary>The width for this process's stdout.</summary>
    public static int ConsoleWidth() => OutputWidth(Environment.GetEnvironmentVariable("COLUMNS"), () =>
    {
        if (Console.IsOutputRedirected)
        {
            return null;
        }
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return null;
        }
    });

    /// <summary>
    /// Breaks <paramref name="text"/> at spaces into lines of at most <paramref name="width"/> characters, each
    /// starting with <paramref name="indent"/> spaces (the first with <paramref name="firstIndent"/> when given).
    /// A word longer than a line stays whole on its own line: a flag or a URL cut in two cannot be copied.
    /// </summary>
    public static IEnumerable<string> Wrap(string text, int width, int indent, int? firstIndent = null)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var line = new System.Text.StringBuilder();
        var lineIndent = firstIndent ?? indent;
        foreach (var word in words)
        {
            if (line.Length > 0 && lineIndent + line.Length + 1 + word.Length > width)
            {
                yield return new string(' ', lineIndent) + line;
                line.Clear();
                lineIndent = indent;
            }
            if (line.Length > 0)
            {
                line.Append(' ');
            }
            line.Append(word);
        }
        if (line.Length > 0)
        {
            yield return new string(' ', lineIndent) + line;
        }
    }
}
