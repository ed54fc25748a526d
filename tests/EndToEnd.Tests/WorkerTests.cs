using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>procx as a production worker: concurrency, timeouts, drain, exit-when-empty, metrics (fs source).</summary>
public sealed class WorkerTests
{
    [Fact]
    public async Task Concurrency_runs_up_to_n_children_at_once_and_no_more()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 12; i++)
        {
            dir.Put($"job-{i:D2}", "x");
        }
        var spans = Path.Combine(dir.Root, "spans");
        Directory.CreateDirectory(spans);
        // Each child records when it started and ended (ns since epoch) in its own file.
        var script = $"s=$(date +%s%N); sleep 0.4; e=$(date +%s%N); echo \"$s $e\" > {spans}/$$";
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "rm", "-exit-when-empty", "-concurrency", "3", "-daemon-interval", "50", "sh", "-c", script],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());
        var intervals = Directory.EnumerateFiles(spans).Select(f => File.ReadAllText(f).Split(' ').Select(long.Parse).ToArray()).ToList();
        Assert.Equal(12, intervals.Count);
        var maxOverlap = intervals.Max(a => intervals.Count(b => b[0] <= a[0] && a[0] < b[1]));
        Assert.InRange(maxOverlap, 2, 3);
        Assert.Empty(WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task Exit_when_empty_drains_then_exits_zero()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 20; i++)
        {
            dir.Put($"job-{i:D2}", "x");
        }
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-exit-when-empty", "-concurrency", "2", "true"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(20, WorkFolder.Names(dir.Done).Length);
        Assert.Contains("source empty", r.Stderr);
    }

    [Fact]
    public async Task Timeout_stops_the_child_and_its_children_and_fails_the_work()
    {
        using var dir = new WorkFolder();
        dir.Put("hang", "x");
        var pidFile = Path.Combine(dir.Root, "grandchild");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            [.. dir.FsSource("hang"), "-timeout", "1s", "-timeout-grace", "1s", "sh", "-c", $"sleep 300 & echo $! > {pidFile}; wait"],
            timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(124, r.ExitCode);
        Assert.Contains("timed out", r.Stderr);
        Assert.Equal(["hang"], WorkFolder.Names(dir.Failed));
        var grandchild = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        await ClearAndFailTests.WaitUntil(() => !IsAlive(grandchild), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Timeout_escalates_to_sigkill_when_the_child_ignores_sigterm()
    {
        using var dir = new WorkFolder();
        dir.Put("stubborn", "x");
        var clock = Stopwatch.StartNew();
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            [.. dir.FsSource("stubborn"), "-timeout", "500ms", "-timeout-grace", "500ms", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
            timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(124, r.ExitCode);
        Assert.Equal(["stubborn"], WorkFolder.Names(dir.Failed));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Sigterm_lets_running_children_finish_within_the_shutdown_timeout()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 4; i++)
        {
            dir.Put($"job-{i}", "x");
        }
        var started = Path.Combine(dir.Root, "started");
        Directory.CreateDirectory(started);
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed,
             "-daemon", "-concurrency", "2", "-shutdown-timeout", "30s", "sh", "-c", $"touch {started}/$$; sleep 1.5"]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await ClearAndFailTests.WaitUntil(() => Directory.EnumerateFiles(started).Count() == 2);
        Signal(procx, "TERM");
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(procx.ExitCode == 0, await stderr);
        // The two running jobs finished and were cleared; no new job started; nothing lost.
        Assert.Equal(2, WorkFolder.Names(dir.Done).Length);
        Assert.Equal(2, WorkFolder.Names(dir.Work).Length);
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task Sigterm_past_the_shutdown_timeout_signals_children_and_releases_their_work()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 4; i++)
        {
            dir.Put($"job-{i}", "x");
        }
        var started = Path.Combine(dir.Root, "started");
        Directory.CreateDirectory(started);
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed,
             "-daemon", "-concurrency", "4", "-shutdown-timeout", "200ms", "sh", "-c", $"trap 'exit 143' TERM; touch {started}/$$; while true; do sleep 0.1; done"]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await ClearAndFailTests.WaitUntil(() => Directory.EnumerateFiles(started).Count() == 4);
        Signal(procx, "TERM");
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(procx.ExitCode == 0, await stderr);
        // Every unfinished item was released untouched (not failed: a shutdown is not the item's fault), none lost.
        Assert.Equal(4, WorkFolder.Names(dir.Work).Length);
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task Metrics_count_what_happened_and_healthz_answers()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 10; i++)
        {
            dir.Put($"job-{i}", i == 3 || i == 7 ? "fail" : "ok");
        }
        var port = FreePort();
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed,
             "-daemon", "-daemon-interval", "100", "-metrics-addr", $"127.0.0.1:{port}", "sh", "-c", "[ \"$PROCX_PAYLOAD\" = ok ]"]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await ClearAndFailTests.WaitUntil(() => WorkFolder.Names(dir.Work).Length == 0 && WorkFolder.Names(dir.Done).Length == 8);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(200, Status(http, "/healthz"));
        Assert.Equal(200, Status(http, "/readyz"));
        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Signal(procx, "TERM");
        await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal(10, Metric(metrics, "procx_jobs_started_total"));
        Assert.Equal(8, Metric(metrics, "procx_jobs_succeeded_total"));
        Assert.Equal(2, Metric(metrics, "procx_jobs_failed_total"));
        Assert.Equal(0, Metric(metrics, "procx_jobs_in_flight"));
        Assert.Equal(10, Metric(metrics, "procx_job_duration_seconds_count"));
        Assert.Equal(2, WorkFolder.Names(dir.Failed).Length);
    }

    [Fact]
    public async Task While_the_source_is_unreachable_readyz_is_503_and_healthz_still_200()
    {
        var port = FreePort();
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-driver", "redis-list", "-redis-host", "127.0.0.1", "-redis-port", FreePort().ToString(CultureInfo.InvariantCulture), "-redis-key", "k",
             "-daemon", "-metrics-addr", $"127.0.0.1:{port}", "true"]);
        var stderr = procx.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            await ClearAndFailTests.WaitUntil(() => Status(http, "/readyz") == 503);
            Assert.Equal(200, Status(http, "/healthz"));
        }
        finally
        {
            Signal(procx, "TERM");
            await procx.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        }
    }

    private static int Status(HttpClient http, string path)
    {
        try
        {
            return (int)http.GetAsync(path, TestContext.Current.CancellationToken).GetAwaiter().GetResult().StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0; // not listening yet
        }
    }

    internal static double Metric(string exposition, string name)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"metric {name} not found in:\n{exposition}");
        return double.Parse(line![(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static void Signal(Process process, string signal) =>
        Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
