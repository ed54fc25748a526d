using Drivers.Core.Cli;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>A misspelt PROCX_*/PUSHX_* env var is reported once, with the nearest known name.</summary>
public sealed class UnknownEnvTests
{
    private static readonly Setting Folder = new("fs-folder", "folder");
    private static readonly Setting Topic = new("gcp-topic", "topic") { EnvAliases = ["GCP_TOPIC_NAME"] };

    private static ToolDefinition Tool(string name, string prefix) =>
        new(name, prefix, "d", new Setting("driver", "driver"), [new Setting("daemon", "d")],
            [new DriverInfo("fs", "files", [Folder]), new DriverInfo("gcp", "gcp", [Topic])], TakesCommand: name == "procx")
        {
            ReservedEnv = [$"{prefix}_JOB_ID"],
        };

    [Fact]
    public void A_typo_is_warned_about_with_the_nearest_name()
    {
        var warning = Assert.Single(UnknownEnv.Warnings(Tool("procx", "PROCX"), ["PROCX_FS_FOLDR", "PATH"]));
        Assert.Contains("PROCX_FS_FOLDR", warning);
        Assert.Contains("did you mean PROCX_FS_FOLDER?", warning);
    }

    [Fact]
    public void Every_known_name_of_every_driver_and_the_reserved_ones_pass()
    {
        var env = new[] { "PROCX_FS_FOLDER", "PROCX_GCP_TOPIC", "PROCX_GCP_TOPIC_NAME", "PROCX_DRIVER", "PROCX_DAEMON", "PROCX_JOB_ID" };
        Assert.Empty(UnknownEnv.Warnings(Tool("procx", "PROCX"), env));
    }

    [Fact]
    public void Only_the_tools_own_prefix_is_checked()
    {
        // procx hands PUSHX_* through to a pushx child; pushx in a bridge sees no PROCX_* (procx strips them).
        Assert.Empty(UnknownEnv.Warnings(Tool("procx", "PROCX"), ["PUSHX_WHATEVER", "LOG_LEVEL"]));
        Assert.Single(UnknownEnv.Warnings(Tool("pushx", "PUSHX"), ["PUSHX_WHATEVER", "PROCX_WHATEVER"]));
    }

    [Fact]
    public void A_name_close_to_nothing_gets_no_guess()
    {
        var warning = Assert.Single(UnknownEnv.Warnings(Tool("procx", "PROCX"), ["PROCX_SOMETHING_ELSE_ENTIRELY"]));
        Assert.DoesNotContain("did you mean", warning);
    }
}
