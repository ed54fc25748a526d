using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// Errors a person can act on, through the published executables: log settings in any case, a misspelt env
/// var named, ranges refused before anything runs, a redis outage on one line naming host:port and the flags,
/// no runtime resource key in any message, and no file name able to forge a log line.
/// </summary>
public sealed partial class ErrorMessageTests
{
    /// <summary>A runtime resource key as UseSystemResourceKeys leaves it: IO_PathNotFound_Path, UnauthorizedAccess_IODenied_Path
    /// (an env var name such as PROCX_FS_KEY_REGEX, all capitals, is not one).</summary>
    [GeneratedRegex(@"\b(?![A-Z0-9_]+\b)[A-Z][A-Za-z]+_[A-Z][A-Za-z_]+\b|ErrorStartingProcess|MakeException")]
    private static partial Regex ResourceKey();

    private static Dictionary<string, string> Payload(params (string, string)[] more)
    {
        var env = new Dictionary<string, string> { ["PROCX_PAYLOAD"] = "x" };
        foreach (var (k, v) in more)
        {
            env[k] = v;
        }
        return env;
    }

    /// <summary>Every stderr line is one event: a log line or the tool's final error, never a continuation.</summary>
    private static void AssertOneLinePerEvent(ToolResult r, string tool = "procx") =>
        Assert.All(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
            Assert.Matches($@"^(\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z [A-Z]+ {tool}: |{tool}: error: )", line));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("DEBUG", " DEBUG procx: ")]
    [InlineData("trace", " DEBUG procx: ")]
    [InlineData("Info", " INFO procx: job succeeded")]
    [InlineData("warning", null)]
    [InlineData("WARN", null)]
    public async Task Log_level_takes_any_case_and_the_originals_names(string level, string? expected)
    {
        // On main: LOG_LEVEL=DEBUG, warning and trace exited 64.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "true"], Payload(("LOG_LEVEL", level)));
        Assert.True(r.ExitCode == 0, r.ToString());
        if (expected is null)
        {
            Assert.DoesNotContain(" INFO ", r.Stderr, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Log_format_takes_any_case()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "true"], Payload(("LOG_FORMAT", "JSON")));
        Assert.True(r.ExitCode == 0, r.ToString());
        var messages = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            return json.RootElement.GetProperty("msg").GetString();
        });
        Assert.Contains("job succeeded", messages);
    }

    [Fact]
    public async Task A_misspelt_env_var_is_warned_about_with_the_nearest_name()
    {
        using var dir = new WorkFolder();
        // On main: silently ignored, and the error only said -fs-folder was missing.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "true"], new Dictionary<string, string> { ["PROCX_FS_FOLDR"] = dir.Work });
        Assert.Equal(78, r.ExitCode);
        Assert.Contains("env PROCX_FS_FOLDR is not a setting of procx", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("did you mean PROCX_FS_FOLDER?", r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("PROCX_FS_FOLDR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_procx_pushx_bridge_warns_about_nothing_it_was_given()
    {
        using var dir = new WorkFolder();
        var env = Payload(
            ("PATH", ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH")),
            ("PUSHX_DRIVER", "fs"), ("PUSHX_FS_FOLDER", dir.Out), ("PUSHX_FS_KEY", "out.json"));
        // procx hands PUSHX_* to its child and gives it PROCX_PAYLOAD/PROCX_JOB_ID/PROCX_ATTEMPT: none is a typo.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "-pass-work-as-stdin", "pushx"], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["out.json"], WorkFolder.Names(dir.Out));
        Assert.DoesNotContain("is not a setting", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-concurrency", "0", "PROCX_CONCURRENCY", "1 to 1024")]
    [InlineData("-concurrency", "-1", "PROCX_CONCURRENCY", "1 to 1024")]
    [InlineData("-concurrency", "5000", "PROCX_CONCURRENCY", "1 to 1024")]
    [InlineData("-daemon-interval", "-5", "PROCX_DAEMON_INTERVAL", "at least 0")]
    [InlineData("-max-failures", "-1", "PROCX_MAX_FAILURES", "at least 0")]
    [InlineData("-timeout", "99999999h", "PROCX_TIMEOUT", "at most 576h")]
    [InlineData("-shutdown-timeout", "1000h", "PROCX_SHUTDOWN_TIMEOUT", "at most 576h")]
    public async Task A_value_out_of_range_exits_64_naming_the_range_flag_and_env_before_anything_runs(string flag, string value, string env, string range)
    {
        using var dir = new WorkFolder();
        var marker = Path.Combine(dir.Root, "ran");
        // On main: -concurrency 0/-1 and -daemon-interval -5 were coerced, -timeout 99999999h crashed after the child ran.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", $"{flag}={value}", "touch", marker], Payload());
        Assert.True(r.ExitCode == 64, r.ToString());
        Assert.Contains($"out of range ({range})", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(flag, r.Stderr, StringComparison.Ordinal);
        Assert.Contains(env, r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));

        var fromEnv = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "touch", marker], Payload((env, value)));
        Assert.Equal(64, fromEnv.ExitCode);
        Assert.Contains($"env {env}", fromEnv.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Redis_on_a_closed_port_is_one_line_naming_host_port_and_the_flags_without_the_clients_advice()
    {
        var port = ClosedPort();
        // On main: "It was not possible to connect … use abortConnect=false in your connection string …".
        var procx = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "redis-list", "-redis-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-redis-key", "k", "true"]);
        Assert.True(procx.ExitCode == 69, procx.ToString());
        Assert.Contains($"cannot reach redis at 127.0.0.1:{port} (connection refused): check -redis-host/-redis-port (PROCX_REDIS_HOST/PROCX_REDIS_PORT)", procx.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("abortConnect", procx.Stderr, StringComparison.OrdinalIgnoreCase);
        AssertOneLinePerEvent(procx);

        var pushx = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "redis-list", "-redis-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-redis-key", "k", "-in", "x"]);
        Assert.True(pushx.ExitCode == 69, pushx.ToString());
        Assert.Contains($"cannot reach redis at 127.0.0.1:{port} (connection refused): check -redis-host/-redis-port (PUSHX_REDIS_HOST/PUSHX_REDIS_PORT)", pushx.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("abortConnect", pushx.Stderr, StringComparison.OrdinalIgnoreCase);
        AssertOneLinePerEvent(pushx, "pushx");
    }

    public static TheoryData<string, string[], string> RuntimeErrors => new()
    {
        // tool, args ({dir} is a scratch folder), a word the message must hold
        { "procx", ["-driver", "local", "-payload-file", "{dir}/missing/p", "true"], "{dir}/missing/p" },
        { "procx", ["-driver", "local", "no-such-command-procx-test"], "no-such-command-procx-test" },
        { "procx", ["-driver", "fs", "-fs-folder", "{dir}", "-fs-key-regex", "([", "true"], "([" },
        { "pushx", ["-driver", "fs", "-fs-folder", "{dir}", "-fs-key", "k", "-in-file", "{dir}/missing/in"], "{dir}/missing/in" },
        { "pushx", ["-driver", "fs", "-fs-folder", "{dir}", "-fs-key", "k", "-in", "x", "-out", "{dir}/missing/out"], "{dir}/missing/out" },
    };

    [Theory]
    [MemberData(nameof(RuntimeErrors))]
    public async Task No_message_is_a_runtime_resource_key(string tool, string[] args, string mentions)
    {
        using var dir = new WorkFolder();
        string Fill(string s) => s.Replace("{dir}", dir.Root, StringComparison.Ordinal);
        // On main: IO_PathNotFound_Path, …; ErrorStartingProcess, …; MakeException, ([, 2, UnterminatedBracket.
        var r = await ToolRunner.RunAsync(tool == "procx" ? ToolRunner.Procx : ToolRunner.Pushx, args.Select(Fill), Payload());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(Fill(mentions), r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(ResourceKey(), r.Stderr);
    }

    [Fact]
    public async Task A_file_name_with_a_newline_cannot_forge_a_log_line()
    {
        using var dir = new WorkFolder();
        const string forged = "2026-01-01T00:00:00.000Z ERROR procx: forged";
        var name = "a\n" + forged;
        dir.Put(name, "x");
        // A directory of that name in the fail folder: the move fails with a message holding the name.
        Directory.CreateDirectory(Path.Combine(dir.Failed, name, "x"));
        // On main: "could not fail the work …: Is a directory : '…/a" then a line of its own "2026-… ERROR procx: forged'".
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "-fs-folder", dir.Work, "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed, "sh", "-c", "exit 3"]);
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("failed/a\\n2026", r.Stderr, StringComparison.Ordinal); // the name is in the message, escaped
        Assert.DoesNotContain(r.Stderr.Split('\n'), line => line.StartsWith(forged, StringComparison.Ordinal));
        AssertOneLinePerEvent(r);
    }
}
