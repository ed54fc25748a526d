using System.Diagnostics;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>Work is cleared only after the child succeeded; every other outcome fails it.</summary>
public sealed class ClearAndFailTests
{
    [Theory]
    [InlineData("mv")]
    [InlineData("rm")]
    public async Task Exit_zero_clears(string op)
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "a.json", "-fs-clear-op", op, "-fs-clear-folder", dir.Done, "-fs-clear-key-template", "done_{{key}}", "true"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Work));
        Assert.Equal(op == "mv" ? ["done_a.json"] : [], WorkFolder.Names(dir.Done));
    }

    [Theory]
    [InlineData("mv")]
    [InlineData("rm")]
    public async Task Non_zero_fails_and_the_exit_code_propagates(string op)
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "a.json", "-fs-fail-op", op, "-fs-fail-folder", dir.Failed, "sh", "-c", "exit 7"]);
        Assert.Equal(7, r.ExitCode);
        Assert.Empty(WorkFolder.Names(dir.Work));
        Assert.Equal(op == "mv" ? ["a.json"] : [], WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task Failure_without_fail_op_leaves_the_work_in_place()
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "a.json", "false"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["a.json"], WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task Child_not_found_exits_127_and_leaves_the_work()
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("a.json"), "/no/such/program"]);
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("cannot run '/no/such/program': no such file", r.Stderr);
        Assert.Equal(["a.json"], WorkFolder.Names(dir.Work)); // a configuration error: every item would fail alike
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task No_work_in_one_shot_exits_zero()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key-prefix", "job-", "touch", Path.Combine(dir.Root, "ran")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("no work", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.Root, "ran")));
    }

    [Fact]
    public async Task A_key_template_that_leaves_its_folder_is_rejected()
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "a.json", "-fs-clear-op", "mv", "-fs-clear-key-template", "../../{{key}}", "true"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("would leave its folder", r.Stderr);
        Assert.Equal(["a.json"], WorkFolder.Names(dir.Work)); // nothing moved, nothing lost
    }

    [Fact]
    public async Task Sigterm_during_a_job_is_forwarded_and_the_interrupted_work_is_released()
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        var started = Path.Combine(dir.Root, "started");
        // The child exits 3 when told to stop: it was interrupted, not wrong, so the work is released
        // untouched (not moved to failed/), and one-shot procx exits with the child's code.
        var script = $"trap 'exit 3' TERM; touch {started}; while true; do sleep 0.1; done";
        using var procx = ToolRunner.Start(ToolRunner.Procx, [.. dir.FsSource("a.json"), "-shutdown-timeout", "0", "sh", "-c", script]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await WaitUntil(() => File.Exists(started));
        Process.Start("kill", ["-TERM", procx.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(procx.ExitCode == 3, await stderr);
        Assert.Equal(["a.json"], WorkFolder.Names(dir.Work));
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task Daemon_drains_a_folder_and_a_failing_job_does_not_stop_it()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 100; i++)
        {
            dir.Put($"job-{i:D3}.json", $"{{\"n\":{i}}}");
        }
        // job 50 fails; the daemon goes on (the Go original exited here).
        var script = "case \"$PROCX_PAYLOAD\" in '{\"n\":50}') exit 9;; esac; exit 0";
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key-regex", "^job-\\d+\\.json$", "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done,
             "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed, "-daemon", "-daemon-interval", "100", "sh", "-c", script]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await WaitUntil(() => WorkFolder.Names(dir.Work).Length == 0, TimeSpan.FromSeconds(60));
        Assert.False(procx.HasExited, "the daemon keeps running after a failed job");
        Process.Start("kill", ["-TERM", procx.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.True(procx.ExitCode == 0, await stderr);
        Assert.Equal(99, WorkFolder.Names(dir.Done).Length);
        Assert.Equal(["job-050.json"], WorkFolder.Names(dir.Failed));
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for a condition");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
