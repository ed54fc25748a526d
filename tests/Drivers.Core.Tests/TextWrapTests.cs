using Drivers.Core.Cli;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Help is wrapped to the terminal: COLUMNS, else the terminal's width, else 80.</summary>
public sealed class TextWrapTests
{
    [Fact]
    public void Lines_never_pass_the_width_and_keep_every_word_in_order()
    {
        const string text = "Keep taking work forever instead of handling one unit and exiting, in -daemon mode with -concurrency";
        var lines = TextWrap.Wrap(text, 30, indent: 6).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= 30, $"'{l}' is {l.Length} wide"));
        Assert.All(lines, l => Assert.StartsWith("      ", l, StringComparison.Ordinal));
        Assert.Equal(text, string.Join(" ", lines.Select(l => l.Trim())));
        Assert.True(lines.Count > 3);
    }

    [Fact]
    public void A_word_longer_than_the_line_stays_whole_on_its_own_line()
    {
        var lines = TextWrap.Wrap("see https://example.com/a/very/long/path/that/does/not/fit here", 20, indent: 2).ToList();
        Assert.Equal(["  see", "  https://example.com/a/very/long/path/that/does/not/fit", "  here"], lines);
    }

    [Fact]
    public void The_first_line_may_have_its_own_indent()
    {
        var lines = TextWrap.Wrap("aaa bbb ccc ddd", 10, indent: 4, firstIndent: 0).ToList();
        Assert.Equal(["aaa bbb", "    ccc", "    ddd"], lines);
    }

    [Theory]
    [InlineData(null, null, 80)]   // not a terminal, no COLUMNS
    [InlineData(null, 132, 132)]   // a terminal
    [InlineData("100", null, 100)] // COLUMNS wins
    [InlineData("100", 132, 100)]
    [InlineData("abc", 132, 132)]  // a COLUMNS that is not a number is ignored
    [InlineData("10", null, TextWrap.MinimumWidth)]
    [InlineData(null, 12, TextWrap.MinimumWidth)]
    public void Output_width_is_COLUMNS_else_the_terminal_else_80(string? columns, int? terminal, int expected) =>
        Assert.Equal(expected, TextWrap.OutputWidth(columns, () => terminal));
}
