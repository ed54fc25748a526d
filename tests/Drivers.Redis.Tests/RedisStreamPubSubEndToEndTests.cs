using System.Text;
using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>redis-stream and redis-pubsub through the published procx and pushx against a real redis-server.</summary>
public sealed class RedisStreamPubSubEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stream_pushx_then_procx_delivers_through_the_group_and_reclaims_a_failed_entry()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("e2e-stream");
        try
        {
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", "redis-stream", key), Encoding.UTF8.GetBytes("{\"id\":1,\"name\":\"first\"}"));
            Assert.True(push.ExitCode == 0, push.ToString());
            push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", "redis-stream", key), "binary\0\u00ff"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());

            var procxEnv = EndToEnd.Env("PROCX", "redis-stream", key).With(new()
            {
                ["PROCX_REDIS_STREAM_CONSUMER_GROUP"] = "jobs",
                ["PROCX_REDIS_STREAM_CONSUMER_NAME"] = "e2e",
                ["PROCX_REDIS_STREAM_FAIL_OP"] = "pending",
                ["PROCX_REDIS_STREAM_CLAIM_IDLE"] = "300ms",
            });
            // No command: procx prints the payload. The JSON object comes back as its fields.
            var first = await ToolRunner.RunAsync(ToolRunner.Procx, [], procxEnv);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal("{\"id\":\"1\",\"name\":\"first\"}", first.StdoutText);

            // The second entry fails; it stays pending and a later procx claims it once idle.
            var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", "cat >/dev/null; exit 4"],
                new Dictionary<string, string>(procxEnv) { ["PROCX_PASS_WORK_AS_STDIN"] = "true" });
            Assert.True(failed.ExitCode == 4, failed.ToString());
            Assert.Equal(1, (await db.StreamPendingAsync(key, "jobs")).PendingMessageCount);

            ToolResult? again = null;
            await ToolProcesses.WaitUntilAsync(async () =>
            {
                again = await ToolRunner.RunAsync(ToolRunner.Procx, [], procxEnv);
                return again.Stdout.Length > 0;
            }, TimeSpan.FromSeconds(20), "the failed entry to be claimed again");
            Assert.True(again!.ExitCode == 0, again.ToString());
            Assert.Equal("binary\0\u00ff"u8.ToArray(), again.Stdout);
            Assert.Empty(await StreamState.OwedAsync(db, key, "jobs"));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Pubsub_one_shot_procx_receives_what_pushx_publishes()
    {
        var client = await RedisService.ClientAsync();
        var channel = RedisService.NewKey("e2e-pubsub");
        // A one-shot procx waits for the next message, as the original did.
        var procx = ToolRunner.RunAsync(ToolRunner.Procx, [], EndToEnd.Env("PROCX", "redis-pubsub", channel), timeout: TimeSpan.FromSeconds(60));
        var server = client.GetServer(client.GetEndPoints()[0]);
        await ToolProcesses.WaitUntilAsync(async () => await server.SubscriptionSubscriberCountAsync(RedisChannel.Literal(channel)) > 0 || procx.IsCompleted,
            TimeSpan.FromSeconds(30), "procx to subscribe");
        Assert.False(procx.IsCompleted, procx.IsCompleted ? (await procx).ToString() : "");

        var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", "redis-pubsub", channel), "{\"hello\":\"subscriber\"}"u8.ToArray());
        Assert.True(push.ExitCode == 0, push.ToString());

        var result = await procx;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{\"hello\":\"subscriber\"}", result.StdoutText);
    }
}
