using Drivers.Core;
using Drivers.Core.Hosting;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Settings declare their ranges and choices once; the binder enforces them and says what is allowed.</summary>
public sealed class SettingRangeTests
{
    private static readonly Setting Concurrency = new("concurrency", "slots") { Type = SettingType.Int, Default = "1", Min = "1", Max = "1024" };
    private static readonly Setting Interval = new("daemon-interval", "ms") { Type = SettingType.Int, Default = "1000", Min = "0" };
    private static readonly Setting Timeout = new("timeout", "t") { Type = SettingType.Duration, Default = "0", Max = Setting.LongestTimer };

    private static SettingValues Bind(Setting setting, string? flag = null, IReadOnlyDictionary<string, string>? env = null) =>
        SettingsBinder.Bind([setting], flag is null ? new Dictionary<Setting, string>() : new Dictionary<Setting, string> { [setting] = flag },
            env ?? new Dictionary<string, string>(), "PROCX");

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1025")]
    public void An_int_out_of_range_is_a_usage_error_naming_the_range_flag_and_env(string value)
    {
        var e = Assert.Throws<CliException>(() => Bind(Concurrency, value));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("out of range (1 to 1024)", e.Message);
        Assert.Contains("-concurrency", e.Message);
        Assert.Contains("PROCX_CONCURRENCY", e.Message);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1024")]
    public void The_bounds_themselves_are_allowed(string value) => Assert.Equal(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture), Bind(Concurrency, value).GetInt(Concurrency));

    [Fact]
    public void A_minimum_alone_reads_at_least()
    {
        var e = Assert.Throws<CliException>(() => Bind(Interval, env: new Dictionary<string, string> { ["PROCX_DAEMON_INTERVAL"] = "-5" }));
        Assert.Contains("env PROCX_DAEMON_INTERVAL", e.Message);
        Assert.Contains("out of range (at least 0)", e.Message);
    }

    [Theory]
    [InlineData("99999999h")]
    [InlineData("577h")]
    [InlineData("9999999999999999999999h")] // too long for a TimeSpan: still a range error, not an overflow
    public void A_duration_longer_than_a_timer_takes_is_refused(string value)
    {
        var e = Assert.Throws<CliException>(() => Bind(Timeout, value));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("out of range (at most 576h)", e.Message);
        Assert.Contains("PROCX_TIMEOUT", e.Message);
    }

    [Fact]
    public void The_longest_timer_fits_task_delay() =>
        Assert.True(ValueParsers.ParseDuration(Setting.LongestTimer) <= TimeSpan.FromMilliseconds(int.MaxValue));

    [Fact]
    public void A_default_is_checked_too_so_a_bad_declaration_fails_every_run()
    {
        var bad = new Setting("x", "x") { Type = SettingType.Int, Default = "0", Min = "1" };
        Assert.Throws<CliException>(() => Bind(bad));
    }

    [Fact]
    public void A_malformed_bound_is_a_bug_in_the_declaration()
    {
        var bad = new Setting("x", "x") { Type = SettingType.Int, Min = "one" };
        Assert.Throws<InvalidOperationException>(() => Bind(bad, "3"));
    }

    [Theory]
    [InlineData("DEBUG", "debug")]
    [InlineData("Info", "info")]
    [InlineData("warning", "warn")]
    [InlineData("WARNING", "warn")]
    [InlineData("trace", "debug")]
    [InlineData("fatal", "error")]
    [InlineData("off", "none")]
    public void Log_level_takes_any_case_and_the_originals_names(string given, string bound)
    {
        var values = Bind(CommonSettings.LogLevel, env: new Dictionary<string, string> { ["LOG_LEVEL"] = given });
        Assert.Equal(bound, values.GetString(CommonSettings.LogLevel));
    }

    [Fact]
    public void Log_format_takes_any_case()
    {
        var values = Bind(CommonSettings.LogFormat, env: new Dictionary<string, string> { ["LOG_FORMAT"] = "JSON" });
        Assert.Equal("json", values.GetString(CommonSettings.LogFormat));
    }

    [Fact]
    public void A_choice_that_is_none_of_them_still_lists_them()
    {
        var e = Assert.Throws<CliException>(() => Bind(CommonSettings.LogLevel, "loud"));
        Assert.Contains("not one of: debug, info, warn, error, none", e.Message);
        Assert.Contains("PROCX_LOG_LEVEL", e.Message);
    }
}
