using Drivers.Core;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Precedence lives in one binder: flag, then env (primary, aliases, global), then default.</summary>
public sealed class SettingsBinderTests
{
    private static readonly Setting Topic = new("gcp-pubsub-topic", "topic") { EnvAliases = ["GCP_TOPIC"] };
    private static readonly Setting Region = new("aws-region", "region") { GlobalEnv = ["AWS_REGION"], Default = "us-east-1" };

    public static TheoryData<string?, string?, string?, string?, string?> Cases => new()
    {
        // flag, primary env, alias env, global env, expected
        { "flag", "env", "alias", "global", "flag" },
        { null, "env", "alias", "global", "env" },
        { null, null, "alias", "global", "alias" },
        { null, null, null, "global", "global" },
        { null, null, null, null, "default" },
        { null, "", "alias", null, "alias" }, // an empty env var counts as unset, as in the originals
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flag_then_env_then_default(string? flag, string? env, string? alias, string? global, string? expected)
    {
        var setting = new Setting("thing", "t") { EnvAliases = ["OLD_THING"], GlobalEnv = ["THING"], Default = "default" };
        var flags = new Dictionary<Setting, string>();
        if (flag is not null) { flags[setting] = flag; }
        var environment = new Dictionary<string, string>();
        if (env is not null) { environment["PUSHX_THING"] = env; }
        if (alias is not null) { environment["PUSHX_OLD_THING"] = alias; }
        if (global is not null) { environment["THING"] = global; }

        var values = SettingsBinder.Bind([setting], flags, environment, "PUSHX");

        Assert.Equal(expected, values.GetString(setting));
    }

    [Fact]
    public void The_originals_differing_env_names_are_accepted()
    {
        var values = SettingsBinder.Bind([Topic, Region], new Dictionary<Setting, string>(),
            new Dictionary<string, string> { ["PUSHX_GCP_TOPIC"] = "t1", ["AWS_REGION"] = "eu-west-1" }, "PUSHX");
        Assert.Equal("t1", values.GetString(Topic));
        Assert.Equal("eu-west-1", values.GetString(Region));
        Assert.True(values.IsSet(Region));
    }

    [Fact]
    public void Missing_required_settings_name_flag_and_env()
    {
        var required = new Setting("fs-folder", "folder") { Required = true };
        var e = Assert.Throws<CliException>(() => SettingsBinder.Bind([required], new Dictionary<Setting, string>(), new Dictionary<string, string>(), "PROCX"));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Contains("-fs-folder", e.Message);
        Assert.Contains("PROCX_FS_FOLDER", e.Message);
    }

    [Theory]
    [InlineData(SettingType.Bool, "maybe")]
    [InlineData(SettingType.Int, "12x")]
    [InlineData(SettingType.Duration, "5 parsecs")]
    public void Malformed_values_are_usage_errors(SettingType type, string value)
    {
        var setting = new Setting("x", "x") { Type = type };
        var e = Assert.Throws<CliException>(() => SettingsBinder.Bind([setting], new Dictionary<Setting, string> { [setting] = value }, new Dictionary<string, string>(), "PROCX"));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("-x", e.Message);
    }

    [Fact]
    public void A_secret_value_is_never_echoed_in_an_error()
    {
        var secret = new Setting("redis-password", "pw") { Secret = true, Choices = ["a"] };
        var e = Assert.Throws<CliException>(() => SettingsBinder.Bind([secret], new Dictionary<Setting, string> { [secret] = "hunter2" }, new Dictionary<string, string>(), "PROCX"));
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("False", false)]
    [InlineData("0", false)]
    public void Booleans_accept_any_case_and_digits(string text, bool expected) => Assert.Equal(expected, ValueParsers.ParseBool(text));

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1h2m3s", 3_723_000)]
    [InlineData("250ms", 250)]
    [InlineData("1.5", 1_500)]
    public void Durations_parse_the_go_way(string text, int ms) => Assert.Equal(TimeSpan.FromMilliseconds(ms), ValueParsers.ParseDuration(text));
}
