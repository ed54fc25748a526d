using System.ComponentModel;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Drivers.Core.Failures;

/// <summary>
/// Turns exceptions and values into text that is safe on one log line: control characters escaped (a file
/// name with a newline must not forge a log line), one line per error, in words a person can act on.
/// </summary>
/// <remarks>
/// The common I/O, process and regular-expression errors are described from the exception's type, error
/// number and arguments rather than its message, so they read the same whether or not a build keeps the
/// runtime's message texts (<c>UseSystemResourceKeys</c>, docs/performance.md): without them a message is a
/// resource key and its arguments (<c>IO_PathNotFound_Path, /x/y</c>), which this also turns into words.
/// </remarks>
public static class ErrorText
{
    /// <summary>The exception as one line: what failed and on which path, command or pattern.</summary>
    public static string Describe(Exception e) => OneLine(e switch
    {
        FileNotFoundException f when Subject(f) is { } path => $"no such file: '{path}'",
        DirectoryNotFoundException d when Subject(d) is { } path => $"no such file or directory: '{path}' (a directory on the way is missing)",
        UnauthorizedAccessException u when Subject(u) is { } path => $"{Errno(u.InnerException?.HResult) ?? "permission denied"}: '{path}'",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException p when Subject(p) is { } path => $"path too long: '{path}'",
        RegexParseException r => DescribeRegex(r),
        // The caller names the command (procx: "could not start 'x': …"); this says why.
        Win32Exception w when ResourceKeyText.Parse(w.Message) is { Key: "ErrorStartingProcess" }
            || w.Message.StartsWith("An error occurred trying to start process '", StringComparison.Ordinal) => StartReason(w),
        SocketException s => NetworkReason(s)!,
        IOException io when ResourceKeyText.Parse(io.Message) is { } key => DescribeIoKey(key),
        // The runtime's IOException for an errno it has no type for: "<strerror> : '<path>'".
        IOException io => Uncapitalise(io.Message.Replace(" : '", ": '", StringComparison.Ordinal)),
        _ when ResourceKeyText.Parse(e.Message) is { } key => key.Humanised(),
        _ => e.Message,
    });

    /// <summary>
    /// Why a connection failed, in a few words (<c>connection refused</c>, <c>host not found</c>,
    /// <c>timed out</c>), from the first socket error or timeout in <paramref name="e"/>'s chain; null when it
    /// has neither (the caller knows its library's words better).
    /// </summary>
    public static string? NetworkReason(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException s:
                    return s.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostNotFound or SocketError.NoData => "host not found",
                        SocketError.TryAgain => "host not found (temporary DNS failure)",
                        SocketError.TimedOut => "timed out",
                        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "no route to the host",
                        SocketError.ConnectionReset or SocketError.ConnectionAborted => "connection reset",
                        _ => Uncapitalise(s.Message),
                    };
                case TimeoutException:
                    return "timed out";
            }
        }
        return null;
    }

    /// <summary>An identifier in words: <c>UnableToConnect</c> → <c>unable to connect</c>, <c>IO_PathNotFound</c> → <c>io path not found</c>.</summary>
    /// <summary>The exception at the bottom of <paramref name="e"/>'s inner exceptions: where a client library's wrapping started.</summary>
    public static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }
        return e;
    }

    public static string Words(string identifier) => ResourceKeyText.Words(identifier);

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

    /// <summary>The path an I/O exception is about: its argument in either message form ('…' in English).</summary>
    private static string? Subject(Exception e) =>
        (e as FileNotFoundException)?.FileName is { Length: > 0 } name ? name
        : ResourceKeyText.Parse(e.Message) is { } key ? key.Rest
        : Between(e.Message, "'", "'");

    private static string DescribeIoKey(ResourceKeyText key)
    {
        var path = key.Rest;
        return key.Key switch
        {
            "IO_SharingViolation_File" => $"'{path}' is locked by another process",
            "IO_FileExists_Name" or "IO_AlreadyExists_Name" => $"'{path}' already exists",
            _ => key.Humanised(),
        };
    }

    private static string StartReason(Win32Exception e) => e.NativeErrorCode switch
    {
        2 => "no such file or directory",
        8 => "exec format error (not a program, or a script without a #! line)",
        13 => "permission denied (not executable?)",
        var errno => Errno(errno) ?? $"error {errno}",
    };

    private static string DescribeRegex(RegexParseException e)
    {
        // Keys form: "MakeException, <pattern>, <offset>, <reason key>"; English: "Invalid pattern '<pattern>' at offset <n>. <reason>".
        var pattern = ResourceKeyText.Parse(e.Message) is { Key: "MakeException" } key
            ? key.Rest[..Math.Max(0, key.Rest.LastIndexOf($", {e.Offset}, ", StringComparison.Ordinal))]
            : Between(e.Message, "Invalid pattern '", $"' at offset {e.Offset}");
        var reason = ResourceKeyText.Words(e.Error.ToString());
        return pattern is null ? $"invalid regular expression: {reason} at offset {e.Offset}" : $"invalid regular expression '{pattern}': {reason} at offset {e.Offset}";
    }

    /// <summary>A few errno values the runtime turns into an I/O or access exception, in strerror's words.</summary>
    private static string? Errno(int? errno) => errno switch
    {
        1 => "operation not permitted",
        13 => "permission denied",
        30 => "read-only file system",
        _ => null,
    };

    private static string? Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        if (from < 0)
        {
            return null;
        }
        from += start.Length;
        var to = text.LastIndexOf(end, StringComparison.Ordinal);
        return to >= from ? text[from..to] : null;
    }

    private static string Uncapitalise(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
}
