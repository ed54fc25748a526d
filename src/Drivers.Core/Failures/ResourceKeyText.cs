using System.Text;
using System.Text.RegularExpressions;

namespace Drivers.Core.Failures;

/// <summary>
/// A runtime message as a build with <c>UseSystemResourceKeys</c> makes it: the resource key, then its
/// format arguments joined by ", " (<c>IO_PathNotFound_Path, /x/y</c>). Recognised so that no message a
/// person reads is a bare key.
/// </summary>
internal sealed partial record ResourceKeyText(string Key, string Rest)
{
    /// <summary>The format arguments. A path holding ", " splits here; <see cref="Rest"/> keeps it whole.</summary>
    public IReadOnlyList<string> Arguments => Rest.Length == 0 ? [] : Rest.Split(", ");

    /// <summary>Null when <paramref name="message"/> is not a key (with or without arguments).</summary>
    public static ResourceKeyText? Parse(string message)
    {
        var match = KeyMessage().Match(message);
        return match.Success ? new ResourceKeyText(match.Groups["key"].Value, match.Groups["rest"].Value) : null;
    }

    /// <summary>The key in words, then its arguments: "io path not found path: /x/y". Better than the key for a key nobody translated.</summary>
    public string Humanised() => Rest.Length == 0 ? Words(Key) : $"{Words(Key)}: {Rest}";

    /// <summary><c>IO_PathNotFound_Path</c> → <c>io path not found path</c>; <c>UnterminatedBracket</c> → <c>unterminated bracket</c>.</summary>
    public static string Words(string identifier)
    {
        var sb = new StringBuilder(identifier.Length + 8);
        for (var i = 0; i < identifier.Length; i++)
        {
            var c = identifier[i];
            if (c == '_')
            {
                AppendSpace(sb);
                continue;
            }
            // A new word starts at an upper-case letter after a lower-case one (PathNotFound), or at the last
            // capital of a run followed by a lower-case letter (EOFRead -> EOF Read).
            var startsWord = char.IsUpper(c) && i > 0
                && (char.IsLower(identifier[i - 1]) || (i + 1 < identifier.Length && char.IsLower(identifier[i + 1]) && char.IsUpper(identifier[i - 1])));
            if (startsWord)
            {
                AppendSpace(sb);
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static void AppendSpace(StringBuilder sb)
    {
        if (sb.Length > 0 && sb[^1] != ' ')
        {
            sb.Append(' ');
        }
    }

    // A key is one identifier with an underscore (IO_PathNotFound_Path, net_http_ssl_connection_failed), or one
    // of the few without that name errors people meet: a process that cannot start, a bad regular expression.
    [GeneratedRegex(@"^(?<key>[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+|ErrorStartingProcess|MakeException)(, (?<rest>.*))?$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex KeyMessage();
}
