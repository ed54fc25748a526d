using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>The originals' flag forms, precedence, errors and help, through the published executables.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("-fs-folder", "{0}")]
    [InlineData("-fs-folder={0}", null)]
    [InlineData("--fs-folder", "{0}")]
    [InlineData("--fs-folder={0}", null)]
    public async Task Go_form_and_long_form_flags_are_accepted(string flag, string? value)
    {
        using var dir = new WorkFolder();
        dir.Put("a", "A");
        string[] folder = value is null ? [string.Format(System.Globalization.CultureInfo.InvariantCulture, flag, dir.Work)] : [flag, dir.Work];
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["--driver=fs", .. folder, "-fs-key", "a", "-daemon=false", "cat"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.StdoutText); // cat got an empty stdin: the payload went to PROCX_PAYLOAD
    }

    [Fact]
    public async Task A_flag_beats_its_env_var()
    {
        using var dir = new WorkFolder();
        dir.Put("from-flag", "flag");
        dir.Put("from-env", "env");
        var env = new Dictionary<string, string> { ["PROCX_DRIVER"] = "fs", ["PROCX_FS_FOLDER"] = dir.Work, ["PROCX_FS_KEY"] = "from-env" };
        var withFlag = await ToolRunner.RunAsync(ToolRunner.Procx, ["-fs-key", "from-flag", "sh", "-c", "printf %s \"$PROCX_PAYLOAD\""], env);
        Assert.Equal("flag", withFlag.StdoutText);
        var envOnly = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", "printf %s \"$PROCX_PAYLOAD\""], env);
        Assert.Equal("env", envOnly.StdoutText);
    }

    [Fact]
    public async Task Options_end_at_the_command_so_its_flags_stay_its_own()
    {
        var env = new Dictionary<string, string> { ["PROCX_PAYLOAD"] = "hi" };
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "bash", "-c", "echo \"$PROCX_PAYLOAD\" -daemon"], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hi -daemon\n", r.StdoutText);

        var dashDash = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "--", "sh", "-c", "echo ok"], env);
        Assert.Equal("ok\n", dashDash.StdoutText);
    }

    [Fact]
    public async Task A_boolean_never_takes_the_next_token()
    {
        // As with Go's flag package: `-pass-work-as-stdin cat` is the flag, then the command `cat`.
        var env = new Dictionary<string, string> { ["PROCX_PAYLOAD"] = "in" };
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "-pass-work-as-stdin", "cat"], env);
        Assert.Equal("in", r.StdoutText);
    }

    [Fact]
    public async Task Unknown_flag_is_an_error_naming_the_closest_and_nothing_runs()
    {
        using var dir = new WorkFolder();
        dir.Put("a", "A");
        var marker = Path.Combine(dir.Root, "ran");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "-fs-folder", dir.Work, "-fs-kye", "a", "touch", marker]);
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("unknown flag -fs-kye", r.Stderr);
        Assert.Contains("-fs-key", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.False(File.Exists(marker));
        Assert.Equal(["a"], WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task Unknown_driver_is_an_error_naming_the_closest_and_nothing_runs()
    {
        using var dir = new WorkFolder();
        var marker = Path.Combine(dir.Root, "ran");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "redis-lst", "touch", marker]);
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("unknown driver 'redis-lst'", r.Stderr);
        Assert.False(File.Exists(marker));

        var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fss"], stdin: "x"u8.ToArray());
        Assert.Equal(64, push.ExitCode);
        Assert.Contains("did you mean fs", push.Stderr);
    }

    [Fact]
    public async Task Missing_required_setting_names_flag_and_env_var()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "true"]);
        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-fs-folder", r.Stderr);
        Assert.Contains("PROCX_FS_FOLDER", r.Stderr);
    }

    [Fact]
    public async Task Malformed_value_names_where_it_came_from()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "true"], new Dictionary<string, string> { ["PROCX_DAEMON_INTERVAL"] = "soon" });
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("PROCX_DAEMON_INTERVAL", r.Stderr);
    }

    [Fact]
    public async Task Stdout_carries_only_the_childs_bytes()
    {
        using var dir = new WorkFolder();
        dir.Put("a", "payload");
        var env = new Dictionary<string, string> { ["LOG_LEVEL"] = "debug" };
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("a"), "printf", "exactly this"], env);
        Assert.Equal("exactly this", r.StdoutText);
        Assert.Contains("job succeeded", r.Stderr);
    }

    [Fact]
    public async Task Json_logs_are_one_object_per_line_on_stderr()
    {
        using var dir = new WorkFolder();
        dir.Put("a", "payload");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("a"), "-log-format", "json", "true"]);
        var line = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.Contains("job succeeded", StringComparison.Ordinal));
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("a", doc.RootElement.GetProperty("job").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("exit_code").GetInt32());
        Assert.True(doc.RootElement.TryGetProperty("duration_ms", out _));
    }

    [Fact]
    public async Task Help_lists_drivers_and_a_drivers_options_with_env_vars()
    {
        var help = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("-daemon", help.StdoutText);
        Assert.Contains("fs ", help.StdoutText);
        Assert.Contains("local", help.StdoutText);

        var fs = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "--help"]);
        Assert.Contains("-fs-clear-key-template", fs.StdoutText);
        Assert.Contains("PROCX_FS_CLEAR_KEY_TEMPLATE", fs.StdoutText);

        var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-h", "-driver", "fs"]);
        Assert.Contains("PUSHX_FS_KEY", push.StdoutText);
        Assert.Contains("PUSHX_INPUT_STR", push.StdoutText);

        var list = await ToolRunner.RunAsync(ToolRunner.Pushx, ["--list-drivers"]);
        Assert.Contains("fs", list.StdoutText);

        var version = await ToolRunner.RunAsync(ToolRunner.Procx, ["--version"]);
        Assert.StartsWith("procx ", version.StdoutText);
    }
}
