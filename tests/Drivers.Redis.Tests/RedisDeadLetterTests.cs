using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>-max-failures: the list and stream drivers' dead-letter places, in-process and through procx.</summary>
public sealed class RedisDeadLetterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task List_item_is_dead_lettered_to_key_dead()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("dead-list");
        try
        {
            await db.ListRightPushAsync(key, ["poison", "fine"]);
            await using var source = DriverFactory.Source(RedisService.Registry, "redis-list", RedisService.Flags(key));
            await using var item = (await source.FetchAsync(TimeSpan.Zero, Ct))!;
            Assert.NotNull(item.Id);
            await ((IDeadLetterSource)source).DeadLetterAsync(item, Ct);
            Assert.Equal(["poison"], (await db.ListRangeAsync(key + ":dead")).Select(v => v.ToString()));
            Assert.Equal(["fine"], (await db.ListRangeAsync(key)).Select(v => v.ToString()));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Stream_counts_deliveries_and_dead_letters_to_key_dead()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("dead-stream");
        try
        {
            var id = await db.StreamAddAsync(key, [new("id", "1"), new("name", "poison")]);
            var flags = RedisService.Flags(key, ("redis-stream-consumer-group", "g"), ("redis-stream-claim-idle", "200ms"));
            await using var source = DriverFactory.Source(RedisService.Registry, "redis-stream", flags);
            await using (var first = (await source.FetchAsync(TimeSpan.Zero, Ct))!)
            {
                Assert.Equal(1, first.DeliveryCount);
                await source.FailAsync(first, Ct);
            }
            WorkItem? second = null;
            await ToolProcesses.WaitUntilAsync(async () => (second = await source.FetchAsync(TimeSpan.FromMilliseconds(100), Ct)) is not null, TimeSpan.FromSeconds(10), "the re-claim");
            await using (second)
            {
                Assert.Equal(2, second!.DeliveryCount);
                await ((IDeadLetterSource)source).DeadLetterAsync(second, Ct);
            }
            var dead = Assert.Single(await db.StreamRangeAsync(key + ":dead"));
            Assert.Equal(["id=1", "name=poison", $"procx-source-id={id}"], dead.Values.Select(v => $"{v.Name}={v.Value}"));
            Assert.Empty(await StreamState.OwedAsync(db, key, "g"));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Procx_max_failures_moves_a_poison_list_item_aside_and_goes_on()
    {
        ToolProcesses.RequireProgram("redis-cli", "the child records its work with redis-cli", "redis");
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("e2e-dead");
        try
        {
            await db.ListRightPushAsync(key, ["{\"poison\":true}", "{\"ok\":1}"]);
            var env = EndToEnd.Env("PROCX", "redis-list", key).With(new()
            {
                ["PROCX_PASS_WORK_AS_STDIN"] = "true",
                ["PROCX_DAEMON"] = "true",
                ["PROCX_DAEMON_INTERVAL"] = "200",
                ["PROCX_MAX_FAILURES"] = "3",
            });
            var done = RedisService.NewKey("e2e-dead-done");
            var procx = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"read -r line; case \"$line\" in *poison*) exit 1;; esac; redis-cli -h {RedisService.Host} -p {RedisService.Port} RPUSH '{done}' \"$line\" >/dev/null"], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            try
            {
                await ToolProcesses.WaitUntilAsync(async () => await db.ListLengthAsync(key + ":dead") == 1 && await db.ListLengthAsync(done) == 1,
                    TimeSpan.FromSeconds(60), "the poison item in KEY:dead and the good one done", stderr);
                Assert.Equal("{\"poison\":true}", (await db.ListRangeAsync(key + ":dead"))[0].ToString());
                Assert.Equal(0, await db.ListLengthAsync(key));
            }
            finally
            {
                ToolProcesses.Stop(procx);
                await RedisService.DeleteAsync(done);
            }
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }
}
