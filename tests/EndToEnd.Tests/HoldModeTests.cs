using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// procx -hold through the published executable, the test being the calling program: the item is cleared only
/// on the caller's "ok"; a different verdict, EOF, a timeout or the caller's death fail it; a shutdown
/// releases it; no work says "none".
/// </summary>
public sealed class HoldModeTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_payload_follows_the_item_line_and_ok_clears_it()
    {
        using var dir = new WorkFolder();
        dir.Put("job", [0, 1, 2, 255, (byte)'\n', 10]);
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold"]);

        var held = await ReadHeldAsync(procx);
        Assert.Equal([0, 1, 2, 255, (byte)'\n', 10], held);
        Assert.Equal(["job"], WorkFolder.Names(dir.Work)); // not cleared before the verdict
        await procx.StandardInput.WriteAsync("ok\n");
        procx.StandardInput.Close();

        Assert.Equal(0, await ExitCodeAsync(procx));
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
        Assert.Empty(WorkFolder.Names(dir.Work));
    }

    [Theory]
    [InlineData("fail\n")]
    [InlineData("OK\n")]
    [InlineData("")] // EOF: the caller closed stdin without a verdict
    public async Task Any_other_verdict_or_none_fails_the_item(string verdict)
    {
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold"]);

        Assert.Equal("work"u8.ToArray(), await ReadHeldAsync(procx));
        await procx.StandardInput.WriteAsync(verdict);
        procx.StandardInput.Close();

        Assert.Equal(1, await ExitCodeAsync(procx));
        Assert.Equal(["job"], WorkFolder.Names(dir.Failed));
        Assert.Empty(WorkFolder.Names(dir.Done));
    }

    [Fact]
    public async Task The_payload_ends_with_eof_even_after_a_warning_was_logged()
    {
        // A warning (an unknown PROCX_ variable) made the runtime keep a copy of fd 1: the caller's read of the
        // payload then never ended (found by the Python binding's tests).
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold"], new Dictionary<string, string> { ["PROCX_NOT_A_SETTING"] = "1" });

        Assert.Equal("work"u8.ToArray(), await ReadHeldAsync(procx));
        await procx.StandardInput.WriteAsync("ok\n");
        procx.StandardInput.Close();
        Assert.Equal(0, await ExitCodeAsync(procx));
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
    }

    [Fact]
    public async Task A_caller_killed_while_it_holds_the_item_fails_it_rather_than_losing_it()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        var got = Path.Combine(dir.Root, "got");
        // The caller: a shell pipeline whose sleep holds procx's stdin, as an application holds the pipe; the
        // sleep is killed with SIGKILL, and the shell reports procx's exit code.
        using var caller = ToolRunner.Start("sh", ["-c", "sleep 300 | \"$0\" \"$@\" > \"$CALLER_OUT\"; echo $? > \"$CALLER_OUT.code\"", ToolRunner.Procx, .. dir.FsSource("job"), "-hold"],
            new Dictionary<string, string> { ["CALLER_OUT"] = got });
        await ClearAndFailTests.WaitUntil(() => File.Exists(got) && File.ReadAllBytes(got).Length == "item\nwork".Length);
        var sleeper = SleepUnder(caller.Id);
        Process.Start("kill", ["-KILL", sleeper.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

        await ClearAndFailTests.WaitUntil(() => File.Exists(got + ".code") && File.ReadAllText(got + ".code").EndsWith('\n'));
        Assert.Equal("1", File.ReadAllText(got + ".code").Trim());
        Assert.Equal(["job"], WorkFolder.Names(dir.Failed));
        await caller.WaitForExitAsync(Cancel);
    }

    [Fact]
    public async Task A_shutdown_signal_while_held_releases_the_item_untouched()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold"]);
        Assert.Equal("work"u8.ToArray(), await ReadHeldAsync(procx));

        WorkerTests.Signal(procx, "TERM");

        Assert.Equal(143, await ExitCodeAsync(procx));
        Assert.Equal(["job"], WorkFolder.Names(dir.Work));
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task No_verdict_within_the_timeout_fails_the_item_with_124()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold", "-timeout", "1s"]);
        Assert.Equal("work"u8.ToArray(), await ReadHeldAsync(procx));

        Assert.Equal(124, await ExitCodeAsync(procx));
        Assert.Equal(["job"], WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task No_work_is_the_line_none_and_exit_0()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("none\n", r.StdoutText);
    }

    [Theory]
    [InlineData("-daemon")]
    [InlineData("cat")]
    public async Task Hold_with_a_command_or_daemon_is_a_usage_error(string extra)
    {
        using var dir = new WorkFolder();
        dir.Put("job", "work");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-hold", extra]);
        Assert.True(r.ExitCode == 64, r.ToString());
        Assert.Contains("-hold", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(["job"], WorkFolder.Names(dir.Work));
    }

    /// <summary>Reads the "item" line and the payload up to EOF (procx closes stdout once it is written).</summary>
    private static async Task<byte[]> ReadHeldAsync(Process procx)
    {
        var all = new MemoryStream();
        await procx.StandardOutput.BaseStream.CopyToAsync(all, Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        var bytes = all.ToArray();
        Assert.True(bytes.AsSpan().StartsWith("item\n"u8), $"stdout began with '{Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 20)])}'");
        return bytes[5..];
    }

    private static async Task<int> ExitCodeAsync(Process procx)
    {
        await procx.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        return procx.ExitCode;
    }

    /// <summary>The pid of the sleep that <paramref name="shellPid"/> started (its child named sleep).</summary>
    private static int SleepUnder(int shellPid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat.Contains("(sleep)", StringComparison.Ordinal)
                    && stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == shellPid.ToString(CultureInfo.InvariantCulture))
                {
                    return int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // not a process, or one that ended while we looked
            }
        }
        throw new InvalidOperationException($"no sleep under {shellPid}");
    }
}
