using System.Globalization;
using System.Text;
using System.Text.Json;
using Drivers.Core.Failures;

namespace Drivers.Core.Logging;

public enum LogLevel { Debug, Info, Warn, Error, None }

/// <summary>Structured logging to stderr. stdout is data, so nothing here ever writes to it.</summary>
public interface ILog
{
    bool IsEnabled(LogLevel level);

    void Write(LogLevel level, string message, params ReadOnlySpan<(string Key, object? Value)> fields);
}

public static class LogExtensions
{
    public static void Debug(this ILog log, string message, params ReadOnlySpan<(string, object?)> fields) => log.Write(LogLevel.Debug, message, fields);

    public static void Info(this ILog log, string message, params ReadOnlySpan<(string, object?)> fields) => log.Write(LogLevel.Info, message, fields);

    public static void Warn(this ILog log, string message, params ReadOnlySpan<(string, object?)> fields) => log.Write(LogLevel.Warn, message, fields);

    public static void Error(this ILog log, string message, params ReadOnlySpan<(string, object?)> fields) => log.Write(LogLevel.Error, message, fields);
}

/// <summary>Writes one line per event to a text writer (stderr), as text or JSON.</summary>
public sealed class StderrLog : ILog
{
    private readonly TextWriter _writer;
    private readonly LogLevel _minimum;
    private readonly bool _json;
    private readonly string _tool;
    private readonly Lock _gate = new();

    public StderrLog(string tool, LogLevel minimum, bool json, TextWriter? writer = null)
    {
        _tool = tool;
        _minimum = minimum;
        _json = json;
        _writer = writer ?? Console.Error;
    }

    public bool IsEnabled(LogLevel level) => level >= _minimum && level != LogLevel.None;

    public void Write(LogLevel level, string message, params ReadOnlySpan<(string Key, object? Value)> fields)
    {
        if (!IsEnabled(level))
        {
            return;
        }
        var line = _json ? FormatJson(level, message, fields) : FormatText(level, message, fields);
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    public static LogLevel ParseLevel(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "debug" or "trace" => LogLevel.Debug,
        "warn" or "warning" => LogLevel.Warn,
        "error" or "fatal" => LogLevel.Error,
        "none" or "off" => LogLevel.None,
        _ => LogLevel.Info,
    };

    private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private string FormatText(LogLevel level, string message, ReadOnlySpan<(string Key, object? Value)> fields)
    {
        var sb = new StringBuilder();
        sb.Append(Now()).Append(' ').Append(LevelName(level).ToUpperInvariant()).Append(' ').Append(_tool).Append(": ").Append(ErrorText.OneLine(message));
        foreach (var (key, value) in fields)
        {
            var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            sb.Append(' ').Append(key).Append('=');
            // Quoted (JSON escapes) when it would otherwise split the line or the field: whitespace, quotes, control characters.
            if (text.Length == 0 || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '"'))
            {
                sb.Append(JsonSerializer.Serialize(text, CoreJsonContext.Default.String));
            }
            else
            {
                sb.Append(text);
            }
        }
        return sb.ToString();
    }

    private string FormatJson(LogLevel level, string message, ReadOnlySpan<(string Key, object? Value)> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", Now());
            json.WriteString("level", LevelName(level));
            json.WriteString("tool", _tool);
            json.WriteString("msg", message);
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null: json.WriteNull(key); break;
                    case bool b: json.WriteBoolean(key, b); break;
                    case int i: json.WriteNumber(key, i); break;
                    case long l: json.WriteNumber(key, l); break;
                    case double d: json.WriteNumber(key, d); break;
                    default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warn => "warn",
        _ => "error",
    };
}
