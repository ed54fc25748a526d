using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// The failure model through the published procx (fs source): a failing item neither spins nor blocks the
/// others, -exit-when-empty ends with only failing items left, a shutdown releases work instead of failing it.
/// </summary>
public sealed class FailureModelTests
{
    [Fact]
    public async Task A_child_that_always_fails_does_not_spin_and_exit_when_empty_ends()
    {
        using var dir = new WorkFolder();
        dir.Put("poison", "x");
        var runs = Path.Combine(dir.Root, "runs");
        // On main: 6,353 runs in 5 s and it never exited.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-exit-when-empty", "-daemon-interval", "10", "sh", "-c", $"echo run >> {runs}; exit 1"],
            timeout: TimeSpan.FromSeconds(20));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Single(File.ReadAllLines(runs));
        Assert.Equal(["poison"], WorkFolder.Names(dir.Work)); // handed back, not lost
        Assert.Contains("returning held items", r.Stderr);
    }

    [Fact]
    public async Task A_poison_item_does_not_starve_the_good_ones_behind_it()
    {
        using var dir = new WorkFolder();
        dir.Put("a-poison", "bad");
        for (var i = 0; i < 5; i++)
        {
            dir.Put($"b-good-{i}", "good");
        }
        var runs = Path.Combine(dir.Root, "runs");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-daemon", "-daemon-interval", "50",
             "-failure-backoff", "500ms", "-pass-work-as-stdin", "sh", "-c", $"p=$(cat); echo $p >> {runs}; [ \"$p\" = good ]"]);
        try
        {
            await ClearAndFailTests.WaitUntil(() => WorkFolder.Names(dir.Done).Length == 5);
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            var poisonRuns = File.ReadAllLines(runs).Count(l => l == "bad");
            // 500 ms doubling: within ~1.5 s after the good ones, a handful of attempts, not hundreds.
            Assert.InRange(poisonRuns, 1, 5);
        }
        finally
        {
            WorkerTests.Signal(procx, "TERM");
            await procx.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        Assert.Equal(0, procx.ExitCode);
        Assert.Equal(["a-poison"], WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task Max_failures_without_a_dead_letter_place_parks_the_item_and_says_so()
    {
        using var dir = new WorkFolder();
        dir.Put("poison", "x");
        dir.Put("zz-good", "x");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "rm", "-exit-when-empty", "-max-failures", "1", "-daemon-interval", "10",
             "sh", "-c", "[ \"$PROCX_JOB_ID\" != poison ]"],
            timeout: TimeSpan.FromSeconds(20));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("no dead-letter place and no fail op", r.Stderr); // said at start-up
        Assert.Contains("parked", r.Stderr);
        Assert.Equal(["poison"], WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task Sigterm_with_the_default_shutdown_timeout_lets_the_job_finish_and_clears_it()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var started = Path.Combine(dir.Root, "started");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-daemon", "sh", "-c", $"touch {started}; sleep 1"]);
        await ClearAndFailTests.WaitUntil(() => File.Exists(started));
        WorkerTests.Signal(procx, "TERM");
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, procx.ExitCode);
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("HUP")]
    public async Task A_job_interrupted_by_shutdown_is_released_not_failed(string signal)
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var started = Path.Combine(dir.Root, "started");
        // On main: -shutdown-timeout 0 made SIGTERM *fail* the job, and -fs-fail-op mv moved it to failed/.
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-daemon", "-shutdown-timeout", "0", "sh", "-c", $"touch {started}; sleep 30"]);
        await ClearAndFailTests.WaitUntil(() => File.Exists(started));
        WorkerTests.Signal(procx, signal);
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken);
        var stderr = await procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(procx.ExitCode == 0, stderr);
        Assert.Equal(["job"], WorkFolder.Names(dir.Work));
        Assert.Empty(WorkFolder.Names(dir.Failed));
        Assert.Contains("released untouched", stderr);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task A_command_that_cannot_start_stops_the_daemon_with_127_and_leaves_the_work(string concurrency)
    {
        using var dir = new WorkFolder();
        dir.Put("a", "x");
        dir.Put("b", "x");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "fs", "-fs-folder", dir.Work, "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed, "-daemon", "-concurrency", concurrency, "no-such-command-here"],
            timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(127, r.ExitCode);
        Assert.Contains("no-such-command-here", r.Stderr);
        Assert.Equal(["a", "b"], WorkFolder.Names(dir.Work)); // nothing failed for a fault that is not the items'
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task A_clear_key_template_with_a_field_no_item_has_is_refused_before_any_child_runs()
    {
        using var dir = new WorkFolder();
        dir.Put("a.json", "{}");
        dir.Put("b.json", "{}");
        var ran = Path.Combine(dir.Root, "ran");
        // Rendered as empty, every item would have been moved onto one name, each overwriting the last.
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-fs-clear-key-template", "x{{kye}}", "-exit-when-empty",
             "touch", ran]);
        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-fs-clear-key-template", r.Stderr);
        Assert.False(File.Exists(ran));
        Assert.Equal(["a.json", "b.json"], WorkFolder.Names(dir.Work));
    }
}
