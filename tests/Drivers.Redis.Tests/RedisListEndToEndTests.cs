using System.Diagnostics;
using System.Text;
using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>redis-list through the real, published procx and pushx against a real redis-server.</summary>
public sealed class RedisListEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Seed_bridge_moves_200_items_exactly_once_byte_exact()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var source = RedisService.NewKey("bridge-in");
        var target = RedisService.NewKey("bridge-out");
        try
        {
            // The seed's own variables: PROCX_DRIVER=redis-list ... PUSHX_DRIVER=... procx pushx &
            var env = EndToEnd.Env("PROCX", "redis-list", source).With(new()
            {
                ["PROCX_PASS_WORK_AS_STDIN"] = "true",
                ["PROCX_DAEMON"] = "true",
                ["PROCX_DAEMON_INTERVAL"] = "500",
                ["PUSHX_DRIVER"] = "redis-list",
                ["PUSHX_REDIS_HOST"] = RedisService.Host,
                ["PUSHX_REDIS_PORT"] = RedisService.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PUSHX_REDIS_KEY"] = target,
            });
            var procx = ToolRunner.Start(ToolRunner.Procx, ["pushx"], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            try
            {
                var sent = Enumerable.Range(1, 200)
                    .Select(i => $"{{\"id\":{i},\"name\":\"n\u00e9 {i} \\\"q\\\" \u00fc\u6f22\",\"tags\":[\"a\",{i % 7}],\"nested\":{{\"ok\":true,\"v\":null}}}}")
                    .ToList();
                foreach (var batch in sent.Chunk(50))
                {
                    await LPushWithRedisCliAsync(source, batch);
                }
                await ToolProcesses.WaitUntilAsync(async () => await db.ListLengthAsync(target) >= 200, TimeSpan.FromSeconds(180), "200 items at the target list", stderr);
                await ToolProcesses.WaitUntilAsync(async () => await HeldAsync(client, source) == 0, TimeSpan.FromSeconds(30), "the source and processing lists to drain", stderr);

                var received = (await db.ListRangeAsync(target)).Select(v => Encoding.UTF8.GetString((byte[])v!)).ToList();
                Assert.Equal(200, received.Count);
                Assert.Equal(sent.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
                Assert.False(procx.HasExited, "the daemon must still run: " + stderr());
            }
            finally
            {
                ToolProcesses.Stop(procx);
            }
        }
        finally
        {
            await RedisService.DeleteAsync(source);
            await RedisService.DeleteAsync(target);
        }
    }

    [Fact]
    public async Task Procx_node_child_piped_into_pushx()
    {
        var node = ToolProcesses.RequireProgram("node", "the child of this test is a node script", "redis");
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var source = RedisService.NewKey("pipe-in");
        var target = RedisService.NewKey("pipe-out");
        var dir = Directory.CreateTempSubdirectory("procx-redis-node-").FullName;
        try
        {
            var app = Path.Combine(dir, "app.js");
            await File.WriteAllTextAsync(app, """
                const chunks = [];
                process.stdin.on('data', c => chunks.push(c));
                process.stdin.on('end', () => {
                  const work = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                  process.stdout.write(JSON.stringify({ id: work.id, upper: work.name.toUpperCase(), seen: true }));
                });
                """, Ct);
            await db.ListRightPushAsync(source, "{\"id\":7,\"name\":\"hello\"}");
            var port = RedisService.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var script = $"'{ToolRunner.Procx}' -driver redis-list -redis-host {RedisService.Host} -redis-port {port} -redis-key '{source}' -pass-work-as-stdin '{node}' '{app}'"
                + $" | '{ToolRunner.Pushx}' -driver redis-list -redis-host {RedisService.Host} -redis-port {port} -redis-key '{target}'";
            var result = await ToolRunner.RunAsync("/bin/sh", ["-c", script]);
            Assert.True(result.ExitCode == 0, result.ToString());

            var pushed = await db.ListRangeAsync(target);
            Assert.Equal("{\"id\":7,\"upper\":\"HELLO\",\"seen\":true}", Assert.Single(pushed).ToString());
            Assert.Equal(0, await HeldAsync(client, source));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await RedisService.DeleteAsync(source);
            await RedisService.DeleteAsync(target);
        }
    }

    [Fact]
    public async Task Failing_child_leaves_the_item_in_the_list()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var source = RedisService.NewKey("fail");
        try
        {
            await db.ListRightPushAsync(source, ["{\"id\":1}", "{\"id\":2}"]);
            var result = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", "cat >/dev/null; exit 3"],
                EndToEnd.Env("PROCX", "redis-list", source).With(new() { ["PROCX_PASS_WORK_AS_STDIN"] = "true" }));
            Assert.True(result.ExitCode == 3, result.ToString());

            // Put back at the head, in its place; nothing left in a processing list.
            Assert.Equal(["{\"id\":1}", "{\"id\":2}"], (await db.ListRangeAsync(source)).Select(v => v.ToString()));
            Assert.Equal(2, await HeldAsync(client, source));
        }
        finally
        {
            await RedisService.DeleteAsync(source);
        }
    }

    [Fact]
    public async Task Item_of_a_killed_procx_is_processed_by_the_next_one()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var source = RedisService.NewKey("kill9");
        var dir = Directory.CreateTempSubdirectory("procx-redis-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await db.ListRightPushAsync(source, payload);
            var env = EndToEnd.Env("PROCX", "redis-list", source).With(new()
            {
                ["PROCX_PASS_WORK_AS_STDIN"] = "true",
                ["PROCX_DAEMON"] = "true",
                ["PROCX_DAEMON_INTERVAL"] = "200",
                ["PROCX_REDIS_LIST_LEASE"] = "2s",
            });

            // The first procx takes the item, then dies with kill -9 while its child runs.
            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            var firstErr = ToolProcesses.CaptureStderr(first);
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0), TimeSpan.FromSeconds(30), "the first child to start", firstErr);
            Assert.Equal(0, await db.ListLengthAsync(source)); // taken: it sits in the first worker's processing list
            first.Kill(); // SIGKILL, procx only; its orphaned child still runs
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct); // (the child holds procx's stdout/stderr pipes until it dies)
            first.Dispose();
            Assert.Equal(1, await HeldAsync(client, source));

            // A new procx returns the dead worker's item once its lease lapses, and processes it once.
            var second = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            var secondErr = ToolProcesses.CaptureStderr(second);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length > 0), TimeSpan.FromSeconds(60), "the second procx to process the item", secondErr);
                await ToolProcesses.WaitUntilAsync(async () => await HeldAsync(client, source) == 0, TimeSpan.FromSeconds(30), "the item to be cleared", secondErr);
                var outputs = Directory.GetFiles(outDir);
                Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(outputs), Ct));
            }
            finally
            {
                ToolProcesses.Stop(second);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await RedisService.DeleteAsync(source);
        }
    }

    [Theory]
    [InlineData("redis-list")]
    [InlineData("redis-stream")]
    public async Task Daemon_goes_on_after_redis_restarts(string driver)
    {
        var redisServer = ToolProcesses.RequireProgram("redis-server", "this test stops and restarts a redis-server of its own", "redis");
        _ = await RedisService.ClientAsync(); // announces the backend of the other tests; this one runs its own server
        var port = ToolProcesses.FreePort();
        var dir = Directory.CreateTempSubdirectory("procx-redis-restart-").FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        Process? server = null;
        Process? procx = null;
        try
        {
            server = await EndToEnd.StartRedisServerAsync(redisServer, port, dir);
            var source = "restart:" + driver;
            var env = EndToEnd.Env("PROCX", driver, source, "127.0.0.1", port).With(new()
            {
                ["PROCX_PASS_WORK_AS_STDIN"] = "true",
                ["PROCX_DAEMON"] = "true",
                ["PROCX_DAEMON_INTERVAL"] = "500",
            });
            procx = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            var stderr = ToolProcesses.CaptureStderr(procx);

            await PushAsync(driver, port, source, "{\"before\":\"restart\"}");
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length == 1), TimeSpan.FromSeconds(30), "the first item", stderr);

            // Restart redis (without persistence: the stream's group is gone too) while the daemon waits on it
            // (BLMOVE / XREADGROUP BLOCK in flight).
            server.Kill();
            await server.WaitForExitAsync(Ct);
            server.Dispose();
            server = await EndToEnd.StartRedisServerAsync(redisServer, port, dir);

            await PushAsync(driver, port, source, "{\"after\":\"restart\"}");
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length == 2), TimeSpan.FromSeconds(90), "the item pushed after the restart", stderr);
            var contents = Directory.GetFiles(outDir).Select(File.ReadAllText).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["{\"after\":\"restart\"}", "{\"before\":\"restart\"}"], contents);
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr());
        }
        finally
        {
            if (procx is not null)
            {
                ToolProcesses.Stop(procx);
            }
            if (server is not null)
            {
                ToolProcesses.Stop(server);
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task PushAsync(string driver, int port, string key, string value)
    {
        await using var c = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        if (driver == "redis-list")
        {
            await c.GetDatabase().ListRightPushAsync(key, value);
        }
        else
        {
            await c.GetDatabase().StreamAddAsync(key, "payload", value);
        }
    }

    /// <summary>Items in the list plus every worker's processing list.</summary>
    /// <summary>Items in the list plus every worker's processing list.</summary>
    internal static async Task<long> HeldAsync(ConnectionMultiplexer client, string key)
    {
        var db = client.GetDatabase();
        var total = await db.ListLengthAsync(key);
        await foreach (var processing in client.GetServer(client.GetEndPoints()[0]).KeysAsync(pattern: key + ":processing:*"))
        {
            total += await db.ListLengthAsync(processing);
        }
        return total;
    }

    /// <summary><c>redis-cli LPUSH key v1 v2 …</c> as the issue does it; the client's LPUSH where redis-cli is not installed.</summary>
    private static async Task LPushWithRedisCliAsync(string key, IReadOnlyList<string> values)
    {
        if (ToolProcesses.Which("redis-cli") is { } cli)
        {
            var args = new List<string> { "-h", RedisService.Host, "-p", RedisService.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "LPUSH", key };
            args.AddRange(values);
            var result = await ToolRunner.RunAsync(cli, args);
            Assert.True(result.ExitCode == 0 && result.StdoutText.Trim() != "", result.ToString());
        }
        else
        {
            var client = await RedisService.ClientAsync();
            await client.GetDatabase().ListLeftPushAsync(key, values.Select(v => (RedisValue)v).ToArray());
        }
    }
}
