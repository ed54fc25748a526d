using System.Globalization;
using System.Text;
using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// The seed's bridge, <c>procx pushx</c>, when pushx is this same executable: the push runs inside procx
/// (said in the debug log), with the child's arguments, environment and exit codes; any other pushx is
/// started per item; and a procx killed mid-drain loses nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InProcessBridgeTests
{
    private const string InProcessLine = "pushx runs in process";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Own_pushx_runs_in_process_and_moves_every_item_once_at_concurrency_4()
    {
        var (client, source, target) = await KeysAsync();
        try
        {
            var sent = await FillAsync(client, source, 300);
            var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-daemon", "-exit-when-empty", "-concurrency", "4", "pushx"], BridgeEnv(source, target));

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains(InProcessLine, r.Stderr, StringComparison.Ordinal);
            Assert.Equal(sent.Order(StringComparer.Ordinal), await ListAsync(client, target));
            Assert.Equal(0, await client.GetDatabase().ListLengthAsync(source));
        }
        finally
        {
            await DeleteAsync(source, target);
        }
    }

    [Fact]
    public async Task Arguments_after_pushx_win_over_its_env_vars_as_for_a_child()
    {
        var (client, source, target) = await KeysAsync();
        var other = RedisService.NewKey("bridge-other");
        try
        {
            await FillAsync(client, source, 3);
            var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-daemon", "-exit-when-empty", "pushx", "-redis-key", other], BridgeEnv(source, target));

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains(InProcessLine, r.Stderr, StringComparison.Ordinal);
            Assert.Equal(3, await client.GetDatabase().ListLengthAsync(other));
            Assert.Equal(0, await client.GetDatabase().ListLengthAsync(target));
        }
        finally
        {
            await DeleteAsync(source, target, other);
        }
    }

    [Fact]
    public async Task A_failed_push_fails_the_item_with_the_exit_code_the_child_would_have()
    {
        var (client, source, target) = await KeysAsync();
        try
        {
            await FillAsync(client, source, 1);
            var env = BridgeEnv(source, target);
            env["PUSHX_REDIS_PORT"] = ToolProcesses.FreePort().ToString(CultureInfo.InvariantCulture); // nothing listens there

            var inProcess = await ToolRunner.RunAsync(ToolRunner.Procx, ["pushx"], env);
            var spawned = await ToolRunner.RunAsync(ToolRunner.Procx, ["-in-process-pushx=false", "pushx"], env);

            Assert.Contains(InProcessLine, inProcess.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(InProcessLine, spawned.Stderr, StringComparison.Ordinal);
            Assert.True(inProcess.ExitCode == spawned.ExitCode && inProcess.ExitCode != 0, $"in process: {inProcess}\nspawned: {spawned}");
            Assert.Contains("pushx: error:", inProcess.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, await RedisListEndToEndTests.HeldAsync(client, source)); // failed, not cleared: still in the source
        }
        finally
        {
            await DeleteAsync(source, target);
        }
    }

    [Fact]
    public async Task A_pushx_that_is_another_program_is_started_for_each_item()
    {
        var (client, source, target) = await KeysAsync();
        var dir = Directory.CreateTempSubdirectory("procx-other-pushx-").FullName;
        try
        {
            // A wrapper script named pushx (as a user's own, or the Go original): it must run, once per item.
            var runs = Path.Combine(dir, "runs");
            var wrapper = Path.Combine(dir, "pushx");
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\necho run >> '{runs}'\nexec '{ToolRunner.Pushx}' \"$@\"\n", Ct);
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await FillAsync(client, source, 4);
            var env = BridgeEnv(source, target);
            env["PATH"] = dir + ":" + Environment.GetEnvironmentVariable("PATH");

            var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-daemon", "-exit-when-empty", "pushx"], env);

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.DoesNotContain(InProcessLine, r.Stderr, StringComparison.Ordinal);
            Assert.Equal(4, (await File.ReadAllLinesAsync(runs, Ct)).Length);
            Assert.Equal(4, await client.GetDatabase().ListLengthAsync(target));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await DeleteAsync(source, target);
        }
    }

    [Fact]
    public async Task Kill_9_mid_drain_loses_nothing()
    {
        var (client, source, target) = await KeysAsync();
        try
        {
            var sent = await FillAsync(client, source, 3000);
            var env = BridgeEnv(source, target);
            env["PROCX_REDIS_LIST_LEASE"] = "2s"; // a dead worker's items go back to the list 2 s after it died
            using (var procx = ToolRunner.Start(ToolRunner.Procx, ["-daemon", "-concurrency", "4", "pushx"], env))
            {
                var stderr = ToolProcesses.CaptureStderr(procx);
                await ToolProcesses.WaitUntilAsync(async () => await client.GetDatabase().ListLengthAsync(target) >= 200, TimeSpan.FromSeconds(60), "200 items moved", stderr);
                procx.Kill(); // SIGKILL
                await procx.WaitForExitAsync(Ct);
            }
            Assert.True(await client.GetDatabase().ListLengthAsync(source) > 0, "the drain must have been cut short for this test to mean anything");

            // The next procx drains the list, and once the dead one's lease has lapsed, returns what it held.
            for (var run = 0; run < 5 && await RedisListEndToEndTests.HeldAsync(client, source) > 0; run++)
            {
                var rest = await ToolRunner.RunAsync(ToolRunner.Procx, ["-daemon", "-exit-when-empty", "-concurrency", "4", "pushx"], env, timeout: TimeSpan.FromSeconds(120));
                Assert.True(rest.ExitCode == 0, rest.ToString());
                await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
            }
            Assert.Equal(0, await RedisListEndToEndTests.HeldAsync(client, source));

            var received = await ListAsync(client, target);
            Assert.Empty(sent.Except(received)); // nothing lost
            var duplicates = received.Count - received.Distinct().Count();
            TestContext.Current.SendDiagnosticMessage($"kill -9 mid-drain: {sent.Count} sent, {received.Count} received, {duplicates} duplicated (at least once), 0 lost");
            Assert.True(duplicates <= 4, $"{duplicates} duplicates: more than the 4 in flight at the kill");
        }
        finally
        {
            await DeleteAsync(source, target);
        }
    }

    private static async Task<(ConnectionMultiplexer Client, string Source, string Target)> KeysAsync() =>
        (await RedisService.ClientAsync(), RedisService.NewKey("bridge-in"), RedisService.NewKey("bridge-out"));

    /// <summary>The seed's variables: PROCX_* for the source, PUSHX_* for the pushx child, payload on stdin.</summary>
    private static Dictionary<string, string> BridgeEnv(string source, string target) =>
        EndToEnd.Env("PROCX", "redis-list", source).With(new()
        {
            ["PROCX_PASS_WORK_AS_STDIN"] = "true",
            ["PUSHX_DRIVER"] = "redis-list",
            ["PUSHX_REDIS_HOST"] = RedisService.Host,
            ["PUSHX_REDIS_PORT"] = RedisService.Port.ToString(CultureInfo.InvariantCulture),
            ["PUSHX_REDIS_KEY"] = target,
            ["LOG_LEVEL"] = "debug",
        });

    private static async Task<List<string>> FillAsync(ConnectionMultiplexer client, string key, int count)
    {
        var sent = Enumerable.Range(1, count).Select(i => $"{{\"id\":{i},\"v\":\"n\u00e9 {i}\"}}").ToList();
        foreach (var chunk in sent.Chunk(1000))
        {
            await client.GetDatabase().ListRightPushAsync(key, chunk.Select(s => (RedisValue)Encoding.UTF8.GetBytes(s)).ToArray());
        }
        return sent;
    }

    private static async Task<List<string>> ListAsync(ConnectionMultiplexer client, string key) =>
        (await client.GetDatabase().ListRangeAsync(key)).Select(v => Encoding.UTF8.GetString((byte[])v!)).Order(StringComparer.Ordinal).ToList();

    private static async Task DeleteAsync(params string[] keys)
    {
        foreach (var key in keys)
        {
            await RedisService.DeleteAsync(key);
        }
    }
}
