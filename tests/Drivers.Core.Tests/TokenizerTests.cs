using Drivers.Core.Cli;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Go's flag rules, which the originals' users rely on.</summary>
public sealed class TokenizerTests
{
    private static readonly Setting Driver = new("driver", "d");
    private static readonly Setting Daemon = new("daemon", "d") { Type = SettingType.Bool };
    private static readonly ToolDefinition Tool = new("procx", "PROCX", "test", Driver, [Driver, Daemon],
        [new DriverInfo("local", "l", [new Setting("payload", "p")])], TakesCommand: true);

    private static ParsedCommandLine Parse(params string[] args) => CliParser.Parse(Tool, args, new Dictionary<string, string>());

    [Theory]
    [InlineData("-driver", "local", "-daemon")]
    [InlineData("--driver", "local", "--daemon")]
    [InlineData("-driver=local", "-daemon=true", null)]
    [InlineData("--driver=local", "--daemon=TRUE", null)]
    public void Both_dash_forms_and_equals_work(string a, string b, string? c)
    {
        var args = new[] { a, b, c }.OfType<string>().Append("echo").ToArray();
        var parsed = Parse(args);
        Assert.Equal("local", parsed.Driver?.Name);
        Assert.True(parsed.Values.GetBool(Daemon));
        Assert.Equal(["echo"], parsed.Command);
    }

    [Fact]
    public void The_command_starts_at_the_first_non_flag_and_is_kept_verbatim()
    {
        var parsed = Parse("-driver", "local", "bash", "-c", "echo $PROCX_PAYLOAD", "-daemon");
        Assert.Equal(["bash", "-c", "echo $PROCX_PAYLOAD", "-daemon"], parsed.Command);
        Assert.False(parsed.Values.GetBool(Daemon));
    }

    [Fact]
    public void Double_dash_ends_options() => Assert.Equal(["-daemon"], Parse("-driver", "local", "--", "-daemon").Command);

    [Fact]
    public void A_bool_does_not_take_the_next_token() => Assert.Equal(["true"], Parse("-driver", "local", "-daemon", "true").Command);

    [Fact]
    public void Unknown_flags_suggest_the_closest()
    {
        var e = Assert.Throws<CliException>(() => Parse("-deamon", "-driver", "local"));
        Assert.Contains("did you mean -daemon", e.Message);
    }

    [Fact]
    public void A_flag_of_the_driver_may_come_before_the_driver() =>
        Assert.Equal("x", Parse("-payload", "x", "-driver", "local", "true").Values.GetString(Tool.Drivers[0].Settings[0]));

    [Theory]
    [InlineData("-payload=--", "--")]
    [InlineData("-payload=-daemon", "-daemon")]
    [InlineData("-payload=--driver", "--driver")]
    public void A_value_that_looks_like_a_flag_is_taken_as_given(string flag, string value) =>
        Assert.Equal(value, Parse(flag, "-driver", "local", "true").Values.GetString(Tool.Drivers[0].Settings[0]));

    [Fact]
    public void A_repeated_flag_takes_its_last_value() =>
        Assert.Equal("b", Parse("-payload", "a", "-payload", "b", "-driver", "local").Values.GetString(Tool.Drivers[0].Settings[0]));
}
