using System.Diagnostics;
using System.Globalization;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// Output that cannot be delivered is never reported as delivered, a push is never done twice for one
/// input, a closed stdin is no input, a signal leaves no temp file, and a template never renders a missing
/// field as nothing. Each case is one measured on the old build (issue 11), run through the published tools.
/// </summary>
public sealed class OutputIntegrityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Runs the command after the reader of its stdout has closed its end, so the first write gets EPIPE
    /// (no race with a pipe buffer the reader has not closed yet): the right side closes stdin, then opens
    /// the fifo the left side waits on before it execs the tool.
    /// </summary>
    private static Task<ToolResult> RunIntoClosedPipeAsync(WorkFolder dir, params string[] command)
    {
        var ready = Path.Combine(dir.Root, "reader-closed");
        const string script = """
            ready=$1; shift
            mkfifo "$ready"
            { read -r _ < "$ready"; exec "$@"; } | { exec 0<&-; echo closed > "$ready"; }
            exit "${PIPESTATUS[0]}"
            """;
        return ToolRunner.RunAsync("bash", ["-c", script, "bash", ready, .. command], timeout: TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Procx_without_a_command_into_a_closed_pipe_keeps_the_item_and_exits_74()
    {
        using var dir = new WorkFolder();
        dir.Put("job.txt", "payload nobody received");
        var r = await RunIntoClosedPipeAsync(dir, ToolRunner.Procx, "-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "job.txt", "-fs-clear-op", "rm");
        Assert.True(r.ExitCode == 74, r.ToString());
        Assert.Equal(["job.txt"], WorkFolder.Names(dir.Work)); // released untouched, not cleared
        Assert.Contains("stdout", r.Stderr);
        Assert.DoesNotContain("job succeeded", r.Stderr);
    }

    [Fact]
    public async Task Procx_without_a_command_and_stdout_closed_at_start_keeps_the_item_and_exits_74()
    {
        using var dir = new WorkFolder();
        dir.Put("job.txt", "payload");
        var r = await ToolRunner.RunAsync("bash", ["-c", "exec \"$@\" >&-", "bash", ToolRunner.Procx, "-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "job.txt", "-fs-clear-op", "rm"]);
        Assert.True(r.ExitCode == 74, r.ToString());
        Assert.Equal(["job.txt"], WorkFolder.Names(dir.Work));
        Assert.Contains("stdout is closed", r.Stderr);
    }

    [Fact]
    public async Task Pushx_tee_into_a_closed_pipe_exits_76_after_pushing_once()
    {
        using var dir = new WorkFolder();
        var r = await RunIntoClosedPipeAsync(dir, ToolRunner.Pushx, "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "a.txt", "-in", "hello", "-out=-");
        Assert.True(r.ExitCode == 76, r.ToString());
        Assert.Equal(["a.txt"], WorkFolder.Names(dir.Out));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dir.Out, "a.txt")));
        Assert.Contains("was pushed", r.Stderr);
        Assert.Contains("-out (PUSHX_OUTPUT)", r.Stderr);
    }

    [Fact]
    public async Task Pushx_local_into_a_closed_pipe_exits_74_naming_stdout()
    {
        using var dir = new WorkFolder();
        var r = await RunIntoClosedPipeAsync(dir, ToolRunner.Pushx, "-driver", "local", "-in", "hello");
        Assert.True(r.ExitCode == 74, r.ToString()); // the console's stream would have dropped EPIPE: exit 0
        Assert.Contains("cannot write to stdout", r.Stderr);
    }

    [Fact]
    public async Task Pushx_local_with_stdout_closed_at_start_exits_74()
    {
        var r = await ToolRunner.RunAsync("bash", ["-c", "exec \"$@\" >&-", "bash", ToolRunner.Pushx, "-driver", "local", "-in", "x"]);
        Assert.True(r.ExitCode == 74, r.ToString());
        Assert.Contains("stdout is closed", r.Stderr);
    }

    [Fact]
    public async Task Pushx_out_in_a_missing_folder_exits_73_and_pushes_nothing()
    {
        using var dir = new WorkFolder();
        var tee = Path.Combine(dir.Root, "missing", "dir", "f");
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "a.txt", "-out", tee], stdin: "data"u8.ToArray());
        Assert.True(r.ExitCode == 73, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Out));
        Assert.Contains("-out (PUSHX_OUTPUT)", r.Stderr);
        Assert.Contains("nothing was pushed", r.Stderr);
    }

    [Fact]
    public async Task Pushx_out_dash_with_stdout_closed_at_start_exits_73_and_pushes_nothing()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync("bash", ["-c", "exec \"$@\" >&-", "bash", ToolRunner.Pushx, "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "a.txt", "-in", "x", "-out=-"]);
        Assert.True(r.ExitCode == 73, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Out));
    }

    [Fact]
    public async Task A_failed_push_leaves_an_existing_out_file_as_it_was()
    {
        using var dir = new WorkFolder();
        var tee = Path.Combine(dir.Root, "tee.txt");
        File.WriteAllText(tee, "previous");
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}", "-in", "{}", "-out", tee]);
        Assert.True(r.ExitCode == 65, r.ToString());
        Assert.Equal("previous", File.ReadAllText(tee));
        var created = Path.Combine(dir.Root, "new.txt");
        r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}", "-in", "{}", "-out", created]);
        Assert.True(r.ExitCode == 65, r.ToString());
        Assert.False(File.Exists(created));
    }

    [Fact]
    public async Task Pushx_with_stdin_closed_exits_66_at_once_and_creates_no_temp_file()
    {
        using var dir = new WorkFolder();
        var tmp = Directory.CreateDirectory(Path.Combine(dir.Root, "tmp")).FullName;
        var tee = Path.Combine(dir.Root, "tee");
        // ulimit: a build that reads whatever fd 0 became (/dev/urandom) must not fill the disk.
        var clock = Stopwatch.StartNew();
        var r = await ToolRunner.RunAsync("bash", ["-c", "ulimit -f 20480; exec \"$@\" <&-", "bash", ToolRunner.Pushx, "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "a", "-out", tee],
            new Dictionary<string, string> { ["TMPDIR"] = tmp }, timeout: TimeSpan.FromSeconds(20));
        Assert.True(r.ExitCode == 66, r.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("no input", r.Stderr);
        Assert.Contains("-in-file", r.Stderr);
        Assert.Empty(WorkFolder.Names(dir.Out));
        Assert.Empty(WorkFolder.Names(tmp));
        Assert.False(File.Exists(tee));
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    [InlineData("INT", 130)]
    public async Task A_signal_to_pushx_streaming_stdin_to_the_fs_sink_leaves_no_temp_file(string signal, int exitCode)
    {
        using var dir = new WorkFolder();
        var code = await SignalMidStreamAsync(["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "big.bin"], dir.Out, ".procx-tmp-", signal, null);
        Assert.Equal(exitCode, code);
        Assert.Empty(WorkFolder.Names(dir.Out));
    }

    [Fact]
    public async Task Sigterm_to_pushx_spooling_stdin_for_out_leaves_no_spool_file()
    {
        using var dir = new WorkFolder();
        var tmp = Directory.CreateDirectory(Path.Combine(dir.Root, "tmp")).FullName;
        var code = await SignalMidStreamAsync(["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "big.bin", "-out", Path.Combine(dir.Root, "tee")], tmp, "pushx-", "TERM", tmp);
        Assert.Equal(143, code);
        Assert.Empty(WorkFolder.Names(tmp));
        Assert.Empty(WorkFolder.Names(dir.Out));
        Assert.False(File.Exists(Path.Combine(dir.Root, "tee")));
    }

    /// <summary>Streams stdin into pushx and keeps it open; once the temp file shows in <paramref name="watch"/>, signals pushx. Returns its exit code.</summary>
    private static async Task<int> SignalMidStreamAsync(string[] args, string watch, string tempPrefix, string signal, string? tmpDir)
    {
        var env = tmpDir is null ? null : new Dictionary<string, string> { ["TMPDIR"] = tmpDir };
        using var pushx = ToolRunner.Start(ToolRunner.Pushx, args, env);
        var stderr = pushx.StandardError.ReadToEndAsync(Ct);
        _ = pushx.StandardOutput.BaseStream.CopyToAsync(Stream.Null, Ct);
        await pushx.StandardInput.BaseStream.WriteAsync(new byte[4 << 20], Ct);
        await pushx.StandardInput.BaseStream.FlushAsync(Ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!Directory.EnumerateFiles(watch, tempPrefix + "*").Any())
        {
            Assert.True(DateTime.UtcNow < deadline && !pushx.HasExited, $"no {tempPrefix}* file appeared in {watch}; stderr: {(pushx.HasExited ? await stderr : "")}");
            await Task.Delay(20, Ct);
        }
        Process.Start("kill", [$"-{signal}", pushx.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        await pushx.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        return pushx.ExitCode;
    }

    [Theory]
    [InlineData("{\"name\":\"no id here\"}", "the input has no field 'id'")]
    [InlineData("not json at all", "the input is not JSON")]
    [InlineData("{\"id\":null}", "field 'id' is null")]
    public async Task A_key_template_field_the_input_lacks_exits_65_and_writes_nothing(string input, string reason)
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}.json"], stdin: System.Text.Encoding.UTF8.GetBytes(input));
        Assert.True(r.ExitCode == 65, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Out));
        Assert.Contains("-fs-key (PUSHX_FS_KEY) '{{id}}.json'", r.Stderr);
        Assert.Contains(reason, r.Stderr);
    }

    [Fact]
    public async Task A_scriban_key_naming_a_missing_field_exits_65_and_writes_nothing()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{ name | string.downcase }}.json"], stdin: "{\"id\":1}"u8.ToArray());
        Assert.True(r.ExitCode == 65, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Out));
        Assert.Contains("no field 'name'", r.Stderr);
    }
}
