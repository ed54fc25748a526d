using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>Reads a stream's state with the provider's own client: what a consumer group still owes.</summary>
internal static class StreamState
{
    /// <summary>Entries not yet delivered to <paramref name="group"/> plus those pending in it, in id order.</summary>
    public static async Task<IReadOnlyList<StreamEntry>> OwedAsync(IDatabase db, string key, string group)
    {
        var entries = await db.StreamRangeAsync(key);
        if (!await db.KeyExistsAsync(key))
        {
            return [];
        }
        var info = (await db.StreamGroupInfoAsync(key)).FirstOrDefault(g => g.Name == group);
        if (info.Name is null)
        {
            return entries;
        }
        var pending = (await db.StreamPendingMessagesAsync(key, group, 10_000, RedisValue.Null)).Select(p => p.MessageId.ToString()).ToHashSet();
        var last = Parse(info.LastDeliveredId!);
        return entries.Where(e => pending.Contains(e.Id.ToString()) || Parse(e.Id.ToString()).CompareTo(last) > 0).ToList();
    }

    private static (long, long) Parse(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return (long.Parse(id[..dash], System.Globalization.CultureInfo.InvariantCulture), long.Parse(id[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed class RedisStreamSourceConformanceTests : SourceConformanceTests
{
    /// <summary>
    /// Longer than the suite's fetch wait, so a released entry that merely stayed pending (claimable only
    /// after this idle time) fails the release tests; short enough for the failed-entry test to wait out.
    /// </summary>
    private const string ClaimIdle = "3s";

    /// <summary>-redis-stream-fail-op pending: a failed entry is claimed again once idle for <see cref="ClaimIdle"/>.</summary>
    protected override TimeSpan RedeliveryWait => TimeSpan.FromSeconds(10);

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    private sealed class Harness(ConnectionMultiplexer client) : ISourceHarness
    {
        private readonly string _key = RedisService.NewKey("stream");

        public ISourceDriver CreateSource() => DriverFactory.Source(RedisService.Registry, "redis-stream",
            RedisService.Flags(_key, ("redis-stream-consumer-group", "workers"), ("redis-stream-claim-idle", ClaimIdle)));

        // The form redis-stream's sink gives input that is not a JSON object: one field named payload.
        public Task EnqueueAsync(byte[] payload) => client.GetDatabase().StreamAddAsync(_key, "payload", payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            (await StreamState.OwedAsync(client.GetDatabase(), _key, "workers")).Select(e => (byte[])e["payload"]!).ToList();

        public async ValueTask DisposeAsync() => await RedisService.DeleteAsync(_key);
    }
}

public sealed class RedisStreamSinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    private sealed class Harness(ConnectionMultiplexer client) : ISinkHarness
    {
        private readonly string _key = RedisService.NewKey("stream-sink");

        public ISinkDriver CreateSink() => DriverFactory.Sink(RedisService.Registry, "redis-stream", RedisService.Flags(_key));

        /// <summary>An object's fields, re-read as JSON through redis-stream's own mapping; other input from the payload field.</summary>
        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            (await client.GetDatabase().StreamRangeAsync(_key)).Select(e => e.Values.Length == 1 && e.Values[0].Name == "payload"
                ? (byte[])e.Values[0].Value!
                : Encoding.UTF8.GetBytes(string.Join(",", e.Values.Select(v => $"{v.Name}={v.Value}")))).ToList();

        /// <summary>A JSON object is stored as fields (strings as text, other values as JSON), not as bytes.</summary>
        public void AssertDelivered(byte[] pushed, byte[] received)
        {
            var root = System.Text.Json.JsonDocument.Parse(pushed).RootElement;
            var expected = string.Join(",", root.EnumerateObject().Select(p => $"{p.Name}={(p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}"));
            Assert.Equal(expected, Encoding.UTF8.GetString(received));
        }

        public async ValueTask DisposeAsync() => await RedisService.DeleteAsync(_key);
    }
}

/// <summary>redis-stream's own behaviour beyond the shared suite.</summary>
public sealed class RedisStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Entry_fields_become_a_json_object_and_value_keys_select_them()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-fields");
        try
        {
            await db.StreamAddAsync(key, [new("id", "7"), new("name", "Zoë \"q\""), new("extra", "x")]);
            await db.StreamAddAsync(key, [new("id", "8"), new("name", "n")]);
            await using (var all = DriverFactory.Source(RedisService.Registry, "redis-stream", RedisService.Flags(key)))
            {
                await using var item = (await all.FetchAsync(TimeSpan.Zero, Ct))!;
                Assert.Equal("{\"id\":\"7\",\"name\":\"Zo\\u00EB \\u0022q\\u0022\",\"extra\":\"x\"}", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
                Assert.Equal("Zoë \"q\"", System.Text.Json.JsonDocument.Parse(await item.Payload.ReadAllBytesAsync(Ct)).RootElement.GetProperty("name").GetString());
                await all.ClearAsync(item, Ct);
            }
            await using var selected = DriverFactory.Source(RedisService.Registry, "redis-stream",
                RedisService.Flags(key, ("redis-stream-value-keys", "name,missing")));
            await using var second = (await selected.FetchAsync(TimeSpan.Zero, Ct))!;
            Assert.Equal("{\"name\":\"n\",\"missing\":null}", Encoding.UTF8.GetString(await second.Payload.ReadAllBytesAsync(Ct)));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Clear_op_del_deletes_the_entry_and_fail_op_ack_acks_it()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-ops");
        try
        {
            await db.StreamAddAsync(key, "payload", "one");
            await db.StreamAddAsync(key, "payload", "two");
            await using var source = DriverFactory.Source(RedisService.Registry, "redis-stream", RedisService.Flags(key,
                ("redis-stream-consumer-group", "g"), ("redis-stream-clear-op", "del"), ("redis-stream-fail-op", "ack")));
            await using var one = (await source.FetchAsync(TimeSpan.Zero, Ct))!;
            await using var two = (await source.FetchAsync(TimeSpan.Zero, Ct))!;
            await source.ClearAsync(one, Ct);
            await source.FailAsync(two, Ct);

            var left = await db.StreamRangeAsync(key);
            Assert.Equal("two", Assert.Single(left)["payload"].ToString()); // del removed "one"; "two" stays in the stream
            Assert.Equal(0, (await db.StreamPendingAsync(key, "g")).PendingMessageCount); // both acked
            Assert.Empty(await StreamState.OwedAsync(db, key, "g"));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Failed_entry_left_pending_is_claimed_again_after_the_idle_time()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-claim");
        try
        {
            var id = await db.StreamAddAsync(key, "payload", "retry me");
            var flags = RedisService.Flags(key, ("redis-stream-consumer-group", "g"), ("redis-stream-fail-op", "pending"), ("redis-stream-claim-idle", "300ms"));
            await using (var first = DriverFactory.Source(RedisService.Registry, "redis-stream", flags))
            {
                await using var item = (await first.FetchAsync(TimeSpan.Zero, Ct))!;
                await first.FailAsync(item, Ct);
                Assert.Null(await first.FetchAsync(TimeSpan.Zero, Ct)); // not idle long enough yet
            }
            // Another procx (another consumer) claims it once it has been idle for 300ms.
            await using var second = DriverFactory.Source(RedisService.Registry, "redis-stream", flags);
            WorkItem? again = null;
            await ToolProcesses.WaitUntilAsync(async () => (again = await second.FetchAsync(TimeSpan.FromMilliseconds(200), Ct)) is not null, TimeSpan.FromSeconds(10), "the pending entry to be claimed");
            await using (again)
            {
                Assert.Equal(id, again!.Id);
                Assert.Equal("retry me", Encoding.UTF8.GetString(await again.Payload.ReadAllBytesAsync(Ct)));
                await second.ClearAsync(again, Ct);
            }
            Assert.Empty(await StreamState.OwedAsync(db, key, "g"));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Released_entry_claimed_by_another_procx_is_not_taken_back_as_well()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-release");
        try
        {
            await db.StreamAddAsync(key, "payload", "once");
            var flags = RedisService.Flags(key, ("redis-stream-consumer-group", "g"), ("redis-stream-claim-idle", "30s"));
            await using var stopping = DriverFactory.Source(RedisService.Registry, "redis-stream", flags);
            await using var other = DriverFactory.Source(RedisService.Registry, "redis-stream", flags);
            await using (var item = (await stopping.FetchAsync(TimeSpan.Zero, Ct))!)
            {
                await stopping.ReleaseAsync(item, Ct);
            }
            // The other procx claims it at once (no 30s idle wait) ...
            await using var taken = await other.FetchAsync(TimeSpan.Zero, Ct);
            Assert.Equal("once", Encoding.UTF8.GetString(await taken!.Payload.ReadAllBytesAsync(Ct)));
            Assert.Equal(2, taken.DeliveryCount); // a second delivery, to another consumer
            // ... so the releasing procx must not hand it out a second time.
            Assert.Null(await stopping.FetchAsync(TimeSpan.Zero, Ct));
            var pending = Assert.Single(await db.StreamPendingMessagesAsync(key, "g", 10, RedisValue.Null));
            Assert.Equal(taken.Id, pending.MessageId.ToString());
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Blocking_fetch_returns_an_entry_added_while_it_waits()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-block");
        try
        {
            await using var source = DriverFactory.Source(RedisService.Registry, "redis-stream", RedisService.Flags(key, ("redis-stream-consumer-group", "g")));
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct)); // creates the group
            var fetch = source.FetchAsync(TimeSpan.FromSeconds(20), Ct);
            await db.StreamAddAsync(key, "payload", "late");
            await using var item = await fetch;
            Assert.NotNull(item);
            Assert.Equal("late", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Theory]
    [InlineData("redis-steam-consumer-name")]
    [InlineData("redis-stream-consumer-name")]
    public async Task Consumer_name_flag_works_in_both_spellings(string flag)
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-name");
        try
        {
            await db.StreamAddAsync(key, "payload", "x");
            await using var source = DriverFactory.Source(RedisService.Registry, "redis-stream", RedisService.Flags(key, ("redis-stream-consumer-group", "g"), (flag, "worker-a")));
            await using var item = (await source.FetchAsync(TimeSpan.Zero, Ct))!;
            var pending = Assert.Single(await db.StreamPendingMessagesAsync(key, "g", 10, RedisValue.Null));
            Assert.Equal("worker-a", pending.ConsumerName.ToString());
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Sink_maps_a_json_object_to_fields_and_anything_else_to_one_payload_field()
    {
        var client = await RedisService.ClientAsync();
        var db = client.GetDatabase();
        var key = RedisService.NewKey("stream-map");
        try
        {
            await using var sink = DriverFactory.Sink(RedisService.Registry, "redis-stream", RedisService.Flags(key));
            await sink.PushAsync(Payload.FromBytes("{\"id\":1,\"name\":\"a\",\"tags\":[1,2],\"ok\":true}"u8.ToArray()), Ct);
            await sink.PushAsync(Payload.FromBytes("[1,2,3]"u8.ToArray()), Ct);
            await sink.PushAsync(Payload.FromBytes("plain text"u8.ToArray()), Ct);
            var entries = await db.StreamRangeAsync(key);
            Assert.Equal(3, entries.Length);
            Assert.Equal(["id=1", "name=a", "tags=[1,2]", "ok=true"], entries[0].Values.Select(v => $"{v.Name}={v.Value}"));
            Assert.Equal(["payload=[1,2,3]"], entries[1].Values.Select(v => $"{v.Name}={v.Value}"));
            Assert.Equal(["payload=plain text"], entries[2].Values.Select(v => $"{v.Name}={v.Value}"));

            await using var explicitId = DriverFactory.Sink(RedisService.Registry, "redis-stream", RedisService.Flags(key, ("redis-message-id", "1-1")));
            var error = await Assert.ThrowsAsync<DriverException>(() => explicitId.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
            Assert.Contains("-redis-message-id", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }
}
