using System.Diagnostics;
using System.Globalization;
using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Worker.FaultTests;

/// <summary>
/// Faults against a real redis-server and the real executables. Each asserts that nothing is lost:
/// every item ends in the sink (at least once; duplicates are counted and reported) or back in the source.
/// The child is `pushx` into a second list, so the sink is written by the real tools too.
/// </summary>
public sealed class FaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Random_child_failures_are_retried_and_every_item_succeeds_exactly_once()
    {
        using var queue = await FilledQueue.CreateAsync("faults-retry", 1000);
        var (redis, db, key, sink, items) = (queue.Redis, queue.Db, queue.Key, queue.Sink, queue.Items);
        var marks = Directory.CreateTempSubdirectory("procx-marks-").FullName;
        var metricsPort = FreePort();
        var env = queue.Env;
        env["MARKS"] = marks;
        // Fails about one job in ten, once per item; the retry then succeeds.
        const string child = "id=$PROCX_PAYLOAD; if (( RANDOM % 10 == 0 )) && [ ! -e \"$MARKS/$id\" ]; then touch \"$MARKS/$id\"; exit 1; fi; printf %s \"$id\" | \"$PUSHX\"";

        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-daemon", "-concurrency", "4", "-daemon-interval", "200", "-metrics-addr", $"127.0.0.1:{metricsPort}", "-log-level", "warn", "bash", "-c", child], env);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        await WaitUntil(async () => await db.ListLengthAsync(sink) >= 1000, TimeSpan.FromMinutes(5), procx);
        var metrics = await Scrape(metricsPort);
        Stop(procx, "TERM");
        await procx.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(procx.ExitCode == 0, await stderr);

        var arrived = (await db.ListRangeAsync(sink)).Select(v => v.ToString()).ToList();
        var failures = Directory.EnumerateFiles(marks).Count();
        TestServices.Announce("faults", $"1000 items, {failures} child failures retried");
        Assert.Equal(1000, arrived.Count); // exactly once: no duplicates, no losses
        Assert.Equal(items.Order(StringComparer.Ordinal), arrived.Order(StringComparer.Ordinal));
        Assert.InRange(failures, 1, 300);
        Assert.Equal(0, await db.ListLengthAsync(key));
        Assert.Empty(await ProcessingItems(redis, key));

        // The metrics endpoint saw what the test saw.
        Assert.Equal(1000 + failures, Metric(metrics, "procx_jobs_started_total"));
        Assert.Equal(1000, Metric(metrics, "procx_jobs_succeeded_total"));
        Assert.Equal(failures, Metric(metrics, "procx_jobs_failed_total"));
        Assert.Equal(1000 + failures, Metric(metrics, "procx_job_duration_seconds_count"));
    }

    [Fact]
    public async Task Kill_minus_9_at_random_moments_loses_nothing()
    {
        using var queue = await FilledQueue.CreateAsync("faults-kill", 500);
        var (redis, db, key, sink, items) = (queue.Redis, queue.Db, queue.Key, queue.Sink, queue.Items);
        var env = queue.Env;
        string[] args = ["-daemon", "-concurrency", "2", "-daemon-interval", "100", "-redis-list-lease", "1s", "-log-level", "error", "bash", "-c", "printf %s \"$PROCX_PAYLOAD\" | \"$PUSHX\""];

        var kills = 0;
        var random = new Random(42);
        while (await db.ListLengthAsync(key) > 0 && kills < 40)
        {
            using var procx = ToolRunner.Start(ToolRunner.Procx, args, env);
            await Task.Delay(random.Next(150, 700), Ct);
            procx.Kill(); // SIGKILL: no cleanup, items stranded in its processing list
            await procx.WaitForExitAsync(Ct);
            kills++;
        }

        // A last, undisturbed worker recovers what the killed ones held and finishes the drain.
        using (var last = ToolRunner.Start(ToolRunner.Procx, args, env))
        {
            var stderr = last.StandardError.ReadToEndAsync(Ct);
            await WaitUntil(async () => await db.ListLengthAsync(key) == 0 && (await ProcessingItems(redis, key)).Count == 0
                && (await db.ListRangeAsync(sink)).Select(v => v.ToString()).Distinct().Count() == 500, TimeSpan.FromMinutes(3), last);
            Stop(last, "TERM");
            await last.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.True(last.ExitCode == 0, await stderr);
        }

        var arrived = (await db.ListRangeAsync(sink)).Select(v => v.ToString()).ToList();
        var duplicates = arrived.Count - arrived.Distinct().Count();
        TestServices.Announce("faults", $"kill -9 x{kills}: 500 items delivered, {duplicates} duplicates (at-least-once)");
        Assert.Equal(items.Order(StringComparer.Ordinal), arrived.Distinct().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("30s", 4, 16)] // children finish within the shutdown timeout: 4 cleared, 16 untouched
    [InlineData("0", 0, 20)]   // children are signalled at once: their items go back to the list
    public async Task Sigterm_during_a_drain_finishes_or_fails_the_running_jobs(string shutdownTimeout, int expectedDone, int expectedLeft)
    {
        using var queue = await FilledQueue.CreateAsync("faults-term", 20);
        var (redis, db, key, sink, items) = (queue.Redis, queue.Db, queue.Key, queue.Sink, queue.Items);
        var started = Directory.CreateTempSubdirectory("procx-started-").FullName;
        var env = queue.Env;
        env["STARTED"] = started;
        const string child = "touch \"$STARTED/$PROCX_PAYLOAD\"; sleep 2; printf %s \"$PROCX_PAYLOAD\" | \"$PUSHX\"";

        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-daemon", "-concurrency", "4", "-shutdown-timeout", shutdownTimeout, "-timeout-grace", "5s", "bash", "-c", child], env);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        await WaitUntil(() => Task.FromResult(Directory.EnumerateFiles(started).Count() == 4), TimeSpan.FromSeconds(30), procx);
        Stop(procx, "TERM");
        await procx.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.True(procx.ExitCode == 0, await stderr); // documented: 0 once every running job is settled
        var done = (await db.ListRangeAsync(sink)).Select(v => v.ToString()).ToList();
        var left = (await db.ListRangeAsync(key)).Select(v => v.ToString()).ToList();
        Assert.Equal(expectedDone, done.Count);
        Assert.Equal(expectedLeft, left.Count);
        Assert.Empty(await ProcessingItems(redis, key));
        Assert.Equal(items.Order(StringComparer.Ordinal), done.Concat(left).Order(StringComparer.Ordinal)); // nothing lost, nothing twice
    }

    [Fact]
    public async Task A_hanging_child_is_killed_with_its_children_and_the_item_is_retried()
    {
        using var queue = await FilledQueue.CreateAsync("faults-hang", 3);
        var (redis, db, key, sink, items) = (queue.Redis, queue.Db, queue.Key, queue.Sink, queue.Items);
        var marks = Directory.CreateTempSubdirectory("procx-hang-").FullName;
        var env = queue.Env;
        env["MARKS"] = marks;
        // First attempt of each item hangs (with a grandchild); the retry succeeds. A failed item is held for
        // its backoff (about 1 s) and -exit-when-empty does not wait for held items (docs/operations.md), so
        // the slots poll every 3 s: a slot that finds the list empty while another job runs sleeps past the
        // backoff and takes the items again.
        const string child = "id=$PROCX_PAYLOAD; if [ ! -e \"$MARKS/$id\" ]; then touch \"$MARKS/$id\"; sleep 300 & echo $! > \"$MARKS/$id.pid\"; wait; fi; printf %s \"$id\" | \"$PUSHX\"";

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-exit-when-empty", "-concurrency", "3", "-daemon-interval", "3000", "-timeout", "1s", "-timeout-grace", "1s", "bash", "-c", child], env, timeout: TimeSpan.FromSeconds(60));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(3 == r.Stderr.Split('\n').Count(l => l.Contains("timed out", StringComparison.Ordinal)), r.ToString());
        var pushed = (await db.ListRangeAsync(sink)).Select(v => v.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.True(items.Order(StringComparer.Ordinal).SequenceEqual(pushed), $"pushed: [{string.Join(", ", pushed)}]\n{r}");
        foreach (var pidFile in Directory.EnumerateFiles(marks, "*.pid"))
        {
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            await WaitUntil(() => Task.FromResult(!IsAlive(pid)), TimeSpan.FromSeconds(5), null);
        }
    }

    [Fact]
    public async Task Redis_killed_and_restarted_during_a_drain_procx_reconnects_and_completes()
    {
        using var server = new OwnRedisServer();
        using var redis = Redis.Connect("127.0.0.1", server.Port);
        var db = redis.GetDatabase();
        var (key, sink) = ("faults-restart", "faults-restart-sink");
        var items = Items(300);
        await db.ListRightPushAsync(key, items.Select(i => (RedisValue)i).ToArray());
        var env = Redis.BridgeEnv("127.0.0.1", server.Port, key, sink);

        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-daemon", "-concurrency", "2", "-daemon-interval", "100", "bash", "-c", "sleep 0.01; printf %s \"$PROCX_PAYLOAD\" | \"$PUSHX\""], env);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        await WaitUntil(async () => await SafeLength(db, sink) >= 50, TimeSpan.FromSeconds(60), procx);
        server.Kill();
        await Task.Delay(1500, Ct);
        server.Start();
        await WaitUntil(async () => (await SafeRange(db, sink)).Distinct().Count() == 300 && await SafeLength(db, key) == 0, TimeSpan.FromMinutes(3), procx);
        Stop(procx, "TERM");
        await procx.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var log = await stderr;
        Assert.True(procx.ExitCode == 0, log);

        var arrived = await SafeRange(db, sink);
        TestServices.Announce("faults", $"redis restart: 300 items delivered, {arrived.Count - arrived.Distinct().Count()} duplicates");
        Assert.Equal(items.Order(StringComparer.Ordinal), arrived.Distinct().Order(StringComparer.Ordinal));
        // A short outage may pass unseen (the client queues commands while it reconnects); when procx does
        // see it, it logs each break once per slot and settle, not once per attempt.
        Assert.InRange(log.Split('\n').Count(l => l.Contains("retrying", StringComparison.Ordinal)), 0, 6);
    }

    private static List<string> Items(int count) => Enumerable.Range(1, count).Select(i => $"item-{i:D4}").ToList();

    /// <summary>Every item in any worker's processing list of <paramref name="key"/>.</summary>
    private static async Task<List<string>> ProcessingItems(IConnectionMultiplexer redis, string key)
    {
        var result = new List<string>();
        var server = redis.GetServers()[0];
        await foreach (var processing in server.KeysAsync(pattern: $"{key}:processing:*"))
        {
            result.AddRange((await redis.GetDatabase().ListRangeAsync(processing)).Select(v => v.ToString()));
        }
        return result;
    }

    private static async Task<long> SafeLength(IDatabase db, string key)
    {
        try { return await db.ListLengthAsync(key); } catch (RedisException) { return -1; }
    }

    private static async Task<List<string>> SafeRange(IDatabase db, string key)
    {
        try { return (await db.ListRangeAsync(key)).Select(v => v.ToString()).ToList(); } catch (RedisException) { return []; }
    }

    internal static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, Process? worker)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (worker is { HasExited: true })
            {
                Assert.Fail($"procx exited early with {worker.ExitCode}");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the drain");
            await Task.Delay(100, Ct);
        }
    }

    private static void Stop(Process process, string signal) =>
        Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private static async Task<string> Scrape(int port)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), Ct);
    }

    private static double Metric(string exposition, string name)
    {
        var line = exposition.Split('\n').First(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
