using Drivers.Core.Logging;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>One event is one line, whatever the message or a field holds (a file name can hold a newline).</summary>
public sealed class LogTests
{
    private static string Write(bool json, string message, params (string, object?)[] fields)
    {
        var writer = new StringWriter();
        new StderrLog("procx", LogLevel.Debug, json, writer).Write(LogLevel.Info, message, fields);
        return writer.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_newline_in_the_message_or_a_field_cannot_forge_a_line(bool json)
    {
        var forged = "x\n2026-01-01T00:00:00.000Z ERROR procx: forged";
        var text = Write(json, $"job failed: {forged}", ("job", forged), ("escape", "a\u001b[2Jb"));
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("\u001b", text);
    }

    [Fact]
    public void Text_format_escapes_the_message_as_its_fields()
    {
        var text = Write(false, "bad name a\nb", ("job", "a\u0007b"));
        Assert.Contains("bad name a\\nb", text);
        Assert.Contains("job=\"a\\u0007b\"", text);
    }

    [Theory]
    [InlineData("DEBUG", LogLevel.Debug)]
    [InlineData("trace", LogLevel.Debug)]
    [InlineData("Warning", LogLevel.Warn)]
    [InlineData("none", LogLevel.None)]
    public void Levels_parse_in_any_case(string text, LogLevel expected) => Assert.Equal(expected, StderrLog.ParseLevel(text));
}
